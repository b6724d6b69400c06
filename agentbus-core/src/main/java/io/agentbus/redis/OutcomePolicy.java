package io.agentbus.redis;

import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The at-least-once rules, apart from Redis: what becomes of an entry once read (decode it, refuse
 * it without a valid signature when signatures are required, refuse it after too many deliveries, expire it, or hand it to the handler), and what becomes of it once
 * its handler has run (ack, ack when asynchronous work completes, retry after the backoff, or dead
 * letters: the last attempt, {@link NonRetryableException}, an explicit {@code deadLetter}).
 *
 * <p>Pure functions of their inputs; {@link ConsumerInstance} carries the outcomes out.
 */
final class OutcomePolicy {

    private static final int MAX_DETAIL = 500;

    /** What to do with an entry. */
    sealed interface Outcome {}

    /** Run the handler on it. */
    record Handle(Envelope envelope) implements Outcome {}

    /** Acknowledge it: it was handled. */
    record Ack() implements Outcome {}

    /** Acknowledge it when {@code work} completes; {@link #afterWork} decides if it fails. */
    record AckWhen(CompletionStage<?> work) implements Outcome {}

    /** Deliver it again after {@code delay}; {@code why} goes to its failure record and the audit trail. */
    record Retry(Duration delay, String why) implements Outcome {}

    /** Move it to dead letters; {@code field} names the offending wire field, or is null. */
    record DeadLetter(DeadLetterReason reason, String field, String detail) implements Outcome {}

    /** It expired before it was handled: dropped (acked) or dead-lettered, per {@link DeliveryOptions#onExpiry()}. */
    record Expired(Envelope envelope, DeadLetter deadLetter) implements Outcome {}

    /** What a handler chose through its delivery, if anything, besides returning or throwing. */
    record HandlerChoice(Duration retryDelay, String rejectReason, CompletionStage<?> ackWhen) {}

    private final DeliveryOptions delivery;
    private final int maxPayloadBytes;
    /** The signature rules, or null when entries are not checked. */
    private final MessageSignatures signatures;

    OutcomePolicy(DeliveryOptions delivery, int maxPayloadBytes) {
        this(delivery, maxPayloadBytes, null);
    }

    OutcomePolicy(DeliveryOptions delivery, int maxPayloadBytes, MessageSignatures signatures) {
        this.delivery = delivery;
        this.maxPayloadBytes = maxPayloadBytes;
        this.signatures = signatures;
    }

    int maxAttempts() {
        return delivery.maxAttempts();
    }

    /**
     * An entry as read, delivered {@code deliveries} times so far (this one included), with the first field
     * name it has more than once, or null: such an entry is ambiguous, whichever value a reader kept.
     */
    Outcome onRead(Map<String, byte[]> body, String repeatedField, int deliveries, Instant now) {
        if (repeatedField != null) {
            String name = repeatedField.replaceAll("\\p{Cntrl}", "?"); // shown in logs: no forged lines
            return new DeadLetter(
                    DeadLetterReason.INVALID_FIELD,
                    name,
                    "the entry has field " + name + " more than once: which value is meant is ambiguous");
        }
        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decode(body, maxPayloadBytes);
        if (decoded instanceof EnvelopeCodec.Malformed malformed) {
            return new DeadLetter(malformed.reason(), malformed.field(), malformed.detail());
        }
        Envelope envelope = ((EnvelopeCodec.Valid) decoded).envelope();
        EnvelopeCodec.Malformed unsigned = signatures == null ? null : signatures.check(body, envelope, now);
        if (unsigned != null) {
            // before anything reads the envelope: expiry would hand it to listeners
            return new DeadLetter(unsigned.reason(), unsigned.field(), unsigned.detail());
        }
        if (deliveries > delivery.maxAttempts()) {
            return new DeadLetter(
                    DeadLetterReason.MAX_ATTEMPTS,
                    null,
                    "delivered " + deliveries + " times without an outcome (max " + delivery.maxAttempts()
                            + "): the consumers holding it died or their leases expired");
        }
        if (envelope.isExpiredAt(now)) {
            DeadLetter deadLetter = delivery.onExpiry() == DeliveryOptions.OnExpiry.DEAD_LETTER
                    ? new DeadLetter(
                            DeadLetterReason.EXPIRED,
                            WireFields.EXPIRES_AT,
                            "expired at " + envelope.expiresAt().orElseThrow())
                    : null;
            return new Expired(envelope, deadLetter);
        }
        return new Handle(envelope);
    }

    /** The handler of delivery {@code attempt} returned normally ({@code failure} null) or threw {@code failure}. */
    Outcome afterHandler(int attempt, Throwable failure, HandlerChoice choice) {
        if (failure instanceof NonRetryableException) {
            return new DeadLetter(DeadLetterReason.NON_RETRYABLE, null, describe(failure));
        }
        if (failure != null) {
            return retryOrGiveUp(attempt, delivery.backoff().delayAfter(attempt), describe(failure));
        }
        if (choice.rejectReason() != null) {
            return new DeadLetter(DeadLetterReason.REJECTED, null, truncate(choice.rejectReason()));
        }
        if (choice.ackWhen() != null) {
            return new AckWhen(choice.ackWhen());
        }
        if (choice.retryDelay() != null) {
            return retryOrGiveUp(attempt, choice.retryDelay(), "handler asked to retry in " + choice.retryDelay());
        }
        return new Ack();
    }

    /** The asynchronous work a handler acked with ({@link AckWhen}) completed, or failed with {@code failure}. */
    Outcome afterWork(int attempt, Throwable failure) {
        return failure == null
                ? new Ack()
                : retryOrGiveUp(attempt, delivery.backoff().delayAfter(attempt), describe(failure));
    }

    private Outcome retryOrGiveUp(int attempt, Duration delay, String detail) {
        if (attempt >= delivery.maxAttempts()) {
            return new DeadLetter(
                    DeadLetterReason.MAX_ATTEMPTS,
                    null,
                    "attempt " + attempt + " of " + delivery.maxAttempts() + " failed: " + detail);
        }
        return new Retry(delay, detail);
    }

    private static String describe(Throwable failure) {
        return truncate(failure.getClass().getName() + ": " + failure.getMessage());
    }

    private static String truncate(String text) {
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
    }
}
