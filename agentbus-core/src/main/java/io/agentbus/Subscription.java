package io.agentbus;

/**
 * One running instance of an agent: a consumer of the agent's inbox. Closing it stops reading,
 * lets the handler finish what it was given, within {@link ConsumerOptions#shutdownTimeout()}, and
 * acknowledges what finished; messages read but not handled by then stay pending in Redis.
 */
public interface Subscription extends AutoCloseable {

    AgentId agent();

    /** The consumer name of this instance in the inbox's consumer group, unique per instance. */
    String consumer();

    /**
     * Idempotent. Called from this subscription's own handler, it stops reading and returns at once;
     * the running delivery is acknowledged when the handler returns.
     */
    @Override
    void close();
}
