package io.agentbus;

import java.time.Duration;
import java.time.Instant;

/**
 * One delivery of a message to a handler. Returning normally from the handler acknowledges it,
 * unless the handler chose another outcome with {@link #retryIn} or {@link #deadLetter}. A thrown
 * exception means "retry per the agent's {@link DeliveryOptions}", or dead letters at once for
 * {@link NonRetryableException}, or after the last attempt.
 */
public interface Delivery {

    /** The message. */
    Envelope envelope();

    /**
     * Which delivery of this message this is, starting at 1: the delivery counter Redis keeps in the
     * inbox's pending entries list, so it counts deliveries to crashed instances too.
     */
    int attempt();

    /** The id of the inbox stream entry that holds the message, for example {@code 1700000000000-0}. */
    String entryId();

    /** The consumer (one running instance of the agent) the message was delivered to. */
    String consumer();

    /** When this process read the message from Redis. */
    Instant receivedAt();

    /**
     * Do not acknowledge; deliver again after {@code delay} (at most the visibility timeout), as
     * the next attempt. On the last allowed attempt, the message goes to dead letters instead.
     */
    void retryIn(Duration delay);

    /**
     * Sends a reply to this message's {@code reply_to} (its sender if absent), with
     * {@code correlation_id} set to this message's id and its conversation id kept. The stage
     * completes when the reply is stored.
     */
    java.util.concurrent.CompletionStage<SendReceipt> reply(String type, String payload);

    /** Like {@link #reply(String, String)}, with the payload as a map written as a JSON object. */
    java.util.concurrent.CompletionStage<SendReceipt> reply(String type, java.util.Map<String, ?> payload);

    /**
     * Acknowledge when {@code work} completes instead of when the handler returns; if it fails, the
     * message is retried (or dead-lettered) as if the handler had thrown. The handler returns at
     * once and the instance goes on with its next message, while the lease of this one is kept
     * alive until it is settled: for work that finishes asynchronously, such as a reply's send.
     */
    void ackWhen(java.util.concurrent.CompletionStage<?> work);

    /** Do not acknowledge; move the message to dead letters now with reason {@code rejected}. */
    void deadLetter(String reason);

    /**
     * Resets the visibility timeout of this message now. The runtime already does this for every
     * message a live instance holds (up to {@link DeliveryOptions#maxLeaseExtension()}); call it
     * to extend beyond that bound, or to be explicit in a long step.
     */
    void extendLease();
}
