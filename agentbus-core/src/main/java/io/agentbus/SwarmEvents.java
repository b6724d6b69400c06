package io.agentbus;

import java.util.concurrent.CompletionStage;

/**
 * The event bus of one swarm (the swarm ADR): ephemeral broadcasts on {@code event:{<swarm>}:<type>}
 * channels, listened to by glob patterns ({@code event:{s1}:agent.*}). Publishing is rate limited per
 * swarm ({@link BusOptions#swarmEventRate()}): over the limit, events of priority 1-7 are deferred
 * (published later, in order, as the rate allows) while priority 8-9 events bypass the limit and go
 * at once. Obtain it with {@link AgentBus#swarmEvents(String)}.
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

    /** Listens to the swarm's events whose type matches {@code typePattern} (a glob, e.g. {@code agent.*}). */
    BroadcastSubscription listen(String typePattern, BroadcastHandler handler);

    /** Events deferred by the rate limit so far (including those since published). */
    long deferred();
}
