package io.agentbus;

/**
 * A running subscription, the one handle for everything that receives: an instance consuming an
 * agent's inbox ({@link AgentBus#subscribe}, {@link AgentBus#serve}), a durable topic's subscriber
 * group or a swarm's messages, and a listening to broadcasts or to presence changes.
 *
 * <p>Closing an instance stops reading, lets the handler finish what it was given, within
 * {@link ConsumerOptions#shutdownTimeout()}, and acknowledges what finished; messages read but not handled
 * by then stay pending in Redis. Closing a listening stops it at once.
 */
public interface Subscription extends AutoCloseable {

    /**
     * The consumer name of an instance in its consumer group, unique per instance (as
     * {@code XINFO CONSUMERS} and {@code agentbus inbox} show it); for a listening, which has no
     * consumer group, the channel or pattern it listens to.
     */
    String consumer();

    /**
     * Idempotent, and throws nothing checked. Called from an instance's own handler, it stops reading
     * and returns at once; the running delivery is acknowledged when the handler returns.
     */
    @Override
    void close();
}
