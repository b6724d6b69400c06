package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One delivery to a handler of the in-memory bus, and the outcome the handler chose through it
 * (retry, dead letter, ack when work completes). Written by the handler's thread, read by the same
 * thread once the handler returned.
 */
final class MemoryDelivery implements Delivery {

    private final AgentId agent;
    private final String consumer;
    private final Envelope envelope;
    private final int attempt;
    private final String entryId;
    private final Instant receivedAt;
    private final Function<Envelope, CompletionStage<SendReceipt>> replies;
    private final Runnable leaseExtension;
    Duration retryDelay;
    String rejectReason;
    CompletionStage<?> ackWhen;

    MemoryDelivery(
            AgentId agent,
            String consumer,
            MemoryStream.Pending pending,
            Instant receivedAt,
            Function<Envelope, CompletionStage<SendReceipt>> replies,
            Runnable leaseExtension) {
        this.agent = agent;
        this.consumer = consumer;
        this.envelope = pending.entry.envelope();
        this.attempt = pending.deliveries;
        this.entryId = pending.entry.id();
        this.receivedAt = receivedAt;
        this.replies = replies;
        this.leaseExtension = leaseExtension;
    }

    @Override
    public Envelope envelope() {
        return envelope;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public String entryId() {
        return entryId;
    }

    @Override
    public String consumer() {
        return consumer;
    }

    @Override
    public Instant receivedAt() {
        return receivedAt;
    }

    @Override
    public void retryIn(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("retry delay must be >= 0, was " + delay);
        }
        retryDelay = delay;
        rejectReason = null;
        ackWhen = null;
    }

    @Override
    public void deadLetter(String reason) {
        rejectReason = Objects.requireNonNull(reason, "reason");
        retryDelay = null;
        ackWhen = null;
    }

    @Override
    public void ackWhen(CompletionStage<?> work) {
        ackWhen = Objects.requireNonNull(work, "work");
        retryDelay = null;
        rejectReason = null;
    }

    @Override
    public CompletionStage<SendReceipt> reply(String type, String payload) {
        return replies.apply(
                envelope.replyBuilder(agent).type(type).payload(payload).build());
    }

    @Override
    public CompletionStage<SendReceipt> reply(String type, Map<String, ?> payload) {
        return replies.apply(
                envelope.replyBuilder(agent).type(type).payload(payload).build());
    }

    @Override
    public void extendLease() {
        leaseExtension.run();
    }

    @Override
    public String toString() {
        return "Delivery{" + envelope.messageId() + " entry " + entryId + " attempt " + attempt + '}';
    }
}
