package io.agentbus.redis;

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
 * A delivery and the outcome its handler chose. Written by the handler thread, read by the same
 * drain task after the handler returns.
 */
final class StreamDelivery implements Delivery {

    private final AgentId agent;
    private final String consumer;
    private final Function<Envelope, CompletionStage<SendReceipt>> sender;
    private final Runnable leaseExtension;
    private final Envelope envelope;
    private final int attempt;
    private final String entryId;
    private final long receivedNanos;
    private Duration retryDelay;
    private String rejectReason;
    private CompletionStage<?> ackWhen;

    /**
     * @param sender         sends a reply
     * @param leaseExtension extends the entry's lease, blocking until Redis confirmed it
     */
    StreamDelivery(
            AgentId agent,
            String consumer,
            Envelope envelope,
            int attempt,
            String entryId,
            long receivedNanos,
            Function<Envelope, CompletionStage<SendReceipt>> sender,
            Runnable leaseExtension) {
        this.agent = agent;
        this.consumer = consumer;
        this.sender = sender;
        this.leaseExtension = leaseExtension;
        this.envelope = envelope;
        this.attempt = attempt;
        this.entryId = entryId;
        this.receivedNanos = receivedNanos;
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
        return Instant.now().minusNanos(System.nanoTime() - receivedNanos);
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
        return sender.apply(
                envelope.replyBuilder(agent).type(type).payload(payload).build());
    }

    @Override
    public CompletionStage<SendReceipt> reply(String type, Map<String, ?> payload) {
        return sender.apply(
                envelope.replyBuilder(agent).type(type).payload(payload).build());
    }

    @Override
    public void extendLease() {
        leaseExtension.run();
    }

    /** What the handler chose through this delivery; read after it returned. */
    OutcomePolicy.HandlerChoice choice() {
        return new OutcomePolicy.HandlerChoice(retryDelay, rejectReason, ackWhen);
    }

    @Override
    public String toString() {
        return "Delivery{" + envelope.messageId() + " entry " + entryId + " attempt " + attempt + '}';
    }
}
