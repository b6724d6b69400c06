package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * What a send accepts and promises: payload size, deduplication, the inbox cap, durability, and when
 * a send or request fails fast instead of queueing. Immutable; part of {@link BusOptions#send()}.
 *
 * @param maxPayloadBytes      largest payload a send accepts, in UTF-8 bytes; a larger one throws
 *                             {@link InvalidEnvelopeException}. Default {@link #DEFAULT_MAX_PAYLOAD_BYTES}
 * @param dedupWindow          a send whose message id was already sent to the same agent within this window
 *                             stores nothing and reports {@link SendReceipt#duplicate()}; after it the id is
 *                             forgotten and a resend is stored again. Default {@link #DEFAULT_DEDUP_WINDOW}
 * @param maxInboxLength       entries an inbox may hold; a send to a full inbox fails with
 *                             {@link InboxFullException} and stores nothing (checked atomically with the
 *                             append). Never enforced by trimming, which could drop pending work. {@code 0}
 *                             for no cap. Default {@link #DEFAULT_MAX_INBOX_LENGTH}
 * @param durability           what "send returned" promises. Default {@link #DEFAULT_DURABILITY}
 * @param strictDurability     refuse to start, instead of warning, when the server cannot honour
 *                             {@code durability}. Default {@code false}
 * @param requireLiveRecipient fail a send or request to an agent without a live instance at once with
 *                             {@link RecipientUnavailableException} (one presence lookup per send), instead of
 *                             queueing it in the durable inbox. Default {@code false}
 * @param breakerThreshold     failed requests in a row to one agent that open its circuit
 *                             ({@link RecipientUnavailableException}); {@code 0} turns the circuit breaker off.
 *                             Default {@link #DEFAULT_BREAKER_THRESHOLD}
 * @param breakerCoolDown      how long an open circuit fails requests fast before it lets one probe through.
 *                             Default {@link #DEFAULT_BREAKER_COOL_DOWN}
 */
public record SendOptions(
        int maxPayloadBytes,
        Duration dedupWindow,
        long maxInboxLength,
        Durability durability,
        boolean strictDurability,
        boolean requireLiveRecipient,
        int breakerThreshold,
        Duration breakerCoolDown) {

    /** Largest payload a send accepts, in UTF-8 bytes (1 MiB). */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
    /** How long a message id is remembered per recipient so that a resend stores nothing new. */
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(10);
    /** Entries an inbox may hold before a send to it is refused with {@link InboxFullException}. */
    public static final long DEFAULT_MAX_INBOX_LENGTH = 1_000_000;
    /** In the server's memory, as Redis's defaults promise. */
    public static final Durability DEFAULT_DURABILITY = Durability.MEMORY;
    /** Failed requests in a row to one agent that open its circuit. */
    public static final int DEFAULT_BREAKER_THRESHOLD = 5;
    /** How long an open circuit fails requests fast before it lets one probe through. */
    public static final Duration DEFAULT_BREAKER_COOL_DOWN = Duration.ofSeconds(10);

    private static final SendOptions DEFAULTS = new SendOptions(
            DEFAULT_MAX_PAYLOAD_BYTES,
            DEFAULT_DEDUP_WINDOW,
            DEFAULT_MAX_INBOX_LENGTH,
            DEFAULT_DURABILITY,
            false,
            false,
            DEFAULT_BREAKER_THRESHOLD,
            DEFAULT_BREAKER_COOL_DOWN);

    /** Validates every setting, naming the bad one; the builder does the same checks as each is set. */
    public SendOptions {
        // Redis's own limit on one bulk string is 512 MB; far below it, a bus message should be.
        Require.atLeast("maxPayloadBytes", maxPayloadBytes, 2);
        Require.positive("dedupWindow", dedupWindow);
        Require.atLeast("maxInboxLength", maxInboxLength, 0);
        Objects.requireNonNull(durability, "durability");
        Require.atLeast("breaker threshold", breakerThreshold, 0);
        Require.positive("breakerCoolDown", breakerCoolDown);
    }

    /** Every setting at its {@code DEFAULT_*}. */
    public static SendOptions defaults() {
        return DEFAULTS;
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder(this);
    }

    /** Builds {@link SendOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private int maxPayloadBytes;
        private Duration dedupWindow;
        private long maxInboxLength;
        private Durability durability;
        private boolean strictDurability;
        private boolean requireLiveRecipient;
        private int breakerThreshold;
        private Duration breakerCoolDown;

        private Builder(SendOptions from) {
            maxPayloadBytes = from.maxPayloadBytes();
            dedupWindow = from.dedupWindow();
            maxInboxLength = from.maxInboxLength();
            durability = from.durability();
            strictDurability = from.strictDurability();
            requireLiveRecipient = from.requireLiveRecipient();
            breakerThreshold = from.breakerThreshold();
            breakerCoolDown = from.breakerCoolDown();
        }

        /** At least 2. Default {@value SendOptions#DEFAULT_MAX_PAYLOAD_BYTES} (1 MiB). */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            this.maxPayloadBytes = Require.atLeast("maxPayloadBytes", maxPayloadBytes, 2);
            return this;
        }

        /** Positive. Default {@link SendOptions#DEFAULT_DEDUP_WINDOW} (10 min). */
        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = Require.positive("dedupWindow", dedupWindow);
            return this;
        }

        /** {@code 0} for no cap. Default {@value SendOptions#DEFAULT_MAX_INBOX_LENGTH}. */
        public Builder maxInboxLength(long maxInboxLength) {
            this.maxInboxLength = Require.atLeast("maxInboxLength", maxInboxLength, 0);
            return this;
        }

        /** Default {@link SendOptions#DEFAULT_DURABILITY} ({@code memory}). */
        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** Refuse to start when the server cannot honour the durability. Default {@code false}: warn. */
        public Builder strictDurability(boolean strictDurability) {
            this.strictDurability = strictDurability;
            return this;
        }

        /** Fail a send to an agent without a live instance at once. Default {@code false}: queue it. */
        public Builder requireLiveRecipient(boolean requireLiveRecipient) {
            this.requireLiveRecipient = requireLiveRecipient;
            return this;
        }

        /**
         * Open a destination's circuit after {@code threshold} failed requests in a row ({@code 0}: never);
         * probe after {@code coolDown}. Default {@value SendOptions#DEFAULT_BREAKER_THRESHOLD} and
         * {@link SendOptions#DEFAULT_BREAKER_COOL_DOWN} (10 s).
         */
        public Builder breaker(int threshold, Duration coolDown) {
            this.breakerThreshold = Require.atLeast("breaker threshold", threshold, 0);
            this.breakerCoolDown = Require.positive("breakerCoolDown", coolDown);
            return this;
        }

        public SendOptions build() {
            return new SendOptions(
                    maxPayloadBytes,
                    dedupWindow,
                    maxInboxLength,
                    durability,
                    strictDurability,
                    requireLiveRecipient,
                    breakerThreshold,
                    breakerCoolDown);
        }
    }
}
