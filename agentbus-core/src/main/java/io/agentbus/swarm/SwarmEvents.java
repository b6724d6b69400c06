package io.agentbus.swarm;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.Retention;
import io.agentbus.SendOptions;
import io.agentbus.Subscription;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.DurableTopic;
import java.util.concurrent.CompletionStage;

/**
 * The event bus of one swarm (the swarm ADR): ephemeral broadcasts on {@code event:{<swarm>}:<type>}
 * channels, listened to by glob patterns ({@code event:{s1}:agent.*}). Publishing is rate limited per
 * swarm ({@link SwarmOptions#eventRate()}): over the limit, events of priority 1-7 are deferred
 * (published later, in order, as the rate allows) while priority 8-9 events bypass the limit and go
 * at once. The same holds while the circuit breaker of an event's {@code to_agent} is open (requests to
 * it timed out {@link SendOptions#breakerThreshold()} times in a row): its events of priority 1-7 wait,
 * in order with the swarm's other deferred events, until the circuit lets a probe through.
 *
 * <p>Events are ephemeral by default: a listener that is not listening misses them. A type made
 * {@link #durable durable} goes to a stream instead, for subscriber groups that get every event.
 * Obtain it with {@link AgentBus#swarmEvents(String)}.
 */
public interface SwarmEvents {

    /** What happened to a published event. */
    enum Outcome {
        /** Published now. */
        PUBLISHED,
        /** Over the rate limit: queued, published as soon as the rate allows. */
        DEFERRED
    }

    String swarm();

    /**
     * Publishes {@code event} on {@code event:{swarm}:<type>}. The stage completes with
     * {@link Outcome#PUBLISHED} once it is out, or at once with {@link Outcome#DEFERRED}.
     */
    CompletionStage<Outcome> publish(String type, Envelope event);

    /**
     * Makes events of {@code type} (which follows the agent id rule) durable on this bus, and returns their stream
     * {@code event:{swarm}:<type>} as a {@link DurableTopic} (retention {@link Retention#DEFAULT}): from
     * now on {@link #publish} appends events of that type to it instead of broadcasting them, so
     * {@link #listen} no longer hears them, and each subscriber group gets every one at least once,
     * acked, even one published while it was offline. The rate limit, the breaker rule and the bypass
     * apply as before. A setting of this bus: every process that publishes the type makes it durable.
     * Idempotent.
     */
    DurableTopic durable(String type);

    /** Listens to the swarm's events whose type matches {@code typePattern} (a glob, e.g. {@code agent.*}). */
    Subscription listen(String typePattern, BroadcastHandler handler);

    /** Events deferred by the rate limit so far (including those since published). */
    long deferred();
}
