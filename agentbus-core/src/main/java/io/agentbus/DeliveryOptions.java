package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * How the messages of one agent are delivered: visibility timeout, attempts and retry backoff.
 * Immutable; the bus default is {@link BusOptions#delivery()}, a subscription can bring its own.
 */
public final class DeliveryOptions {

    /** How long a message may stay pending without progress before another instance reclaims it. */
    public static final Duration DEFAULT_VISIBILITY_TIMEOUT = Duration.ofSeconds(30);
    /** Deliveries of one message before it moves to dead letters. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** Exponential from 1 s, capped at 30 s, with full jitter. */
    public static final Backoff DEFAULT_BACKOFF = Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30));
    /** How long the runtime keeps extending the lease of a message a live handler still holds. */
    public static final Duration DEFAULT_MAX_LEASE_EXTENSION = Duration.ofMinutes(30);

    /** What happens to a message whose {@code expires_at} passed before it was handled. */
    public enum OnExpiry {
        /** Moved to dead letters with reason {@code expired} (default): visible, redrivable. */
        DEAD_LETTER,
        /** Acknowledged without handling, and reported to {@link BusListener#expired}. */
        DROP
    }

    private static final DeliveryOptions DEFAULTS = builder().build();

    private final Duration visibilityTimeout;
    private final int maxAttempts;
    private final Backoff backoff;
    private final Duration maxLeaseExtension;
    private final OnExpiry onExpiry;
    private final Duration expireAfter;

    private DeliveryOptions(Builder builder) {
        visibilityTimeout = builder.visibilityTimeout;
        maxAttempts = builder.maxAttempts;
        backoff = builder.backoff;
        maxLeaseExtension = builder.maxLeaseExtension;
        onExpiry = builder.onExpiry;
        expireAfter = builder.expireAfter;
    }

    public static DeliveryOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder mutate() {
        return new Builder()
                .visibilityTimeout(visibilityTimeout)
                .maxAttempts(maxAttempts)
                .backoff(backoff)
                .maxLeaseExtension(maxLeaseExtension)
                .onExpiry(onExpiry)
                .expireAfter(expireAfter);
    }

    /**
     * A message pending longer than this without its lease being extended is reclaimed
     * ({@code XAUTOCLAIM}) by a running instance of the agent, and delivered again. A live
     * instance extends the leases of the messages it holds, so a slow handler is not robbed.
     * Default {@link #DEFAULT_VISIBILITY_TIMEOUT}.
     */
    public Duration visibilityTimeout() {
        return visibilityTimeout;
    }

    /** Default {@link #DEFAULT_MAX_ATTEMPTS}. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * Delay before a failed message is delivered again. A retry waits in the pending entries list,
     * so the effective delay is at most {@link #visibilityTimeout()}. Default {@link #DEFAULT_BACKOFF}.
     */
    public Backoff backoff() {
        return backoff;
    }

    /**
     * How long after it was read the runtime stops extending a message's lease, so that a hung
     * handler does not hold it for ever. Default {@link #DEFAULT_MAX_LEASE_EXTENSION}.
     */
    public Duration maxLeaseExtension() {
        return maxLeaseExtension;
    }

    /** Default {@link OnExpiry#DEAD_LETTER}. */
    public OnExpiry onExpiry() {
        return onExpiry;
    }

    /**
     * Zero (the default): the agent is permanent. Positive: the agent is temporary, a reply-only
     * requester such as the one {@code agentbus request} makes up: while an instance runs, its keys
     * ({@code agent:{id}:*}: inbox bands, failure records, counters, instances, delayed, dead letters,
     * card) are set to expire this long ahead, renewed at least every third of it; a subscription that
     * closes deletes them at once, and an instance that is killed leaves them to expire. A temporary
     * agent is not listed in {@code agents:known}. Its audit shard is the audit trail, and stays.
     */
    public Duration expireAfter() {
        return expireAfter;
    }

    /** Whether {@link #expireAfter()} makes the agent temporary. */
    public boolean temporary() {
        return !expireAfter.isZero();
    }

    @Override
    public String toString() {
        return "DeliveryOptions{visibilityTimeout=" + visibilityTimeout + ", maxAttempts=" + maxAttempts + ", backoff="
                + backoff + ", maxLeaseExtension=" + maxLeaseExtension + ", onExpiry=" + onExpiry + ", expireAfter="
                + expireAfter + '}';
    }

    /** Builds {@link DeliveryOptions}. */
    public static final class Builder {
        private Duration visibilityTimeout = DEFAULT_VISIBILITY_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Backoff backoff = DEFAULT_BACKOFF;
        private Duration maxLeaseExtension = DEFAULT_MAX_LEASE_EXTENSION;
        private OnExpiry onExpiry = OnExpiry.DEAD_LETTER;
        private Duration expireAfter = Duration.ZERO;

        private Builder() {}

        /** See {@link DeliveryOptions#expireAfter()}: zero for a permanent agent, else at least 100 ms. */
        public Builder expireAfter(Duration expireAfter) {
            Objects.requireNonNull(expireAfter, "expireAfter");
            if (expireAfter.isNegative() || (!expireAfter.isZero() && expireAfter.toMillis() < 100)) {
                throw new IllegalArgumentException("expireAfter must be 0 or >= 100ms, was " + expireAfter);
            }
            this.expireAfter = expireAfter;
            return this;
        }

        public Builder visibilityTimeout(Duration visibilityTimeout) {
            Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
            if (visibilityTimeout.toMillis() < 100) {
                throw new IllegalArgumentException("visibilityTimeout must be >= 100ms, was " + visibilityTimeout);
            }
            this.visibilityTimeout = visibilityTimeout;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        public Builder maxLeaseExtension(Duration maxLeaseExtension) {
            Objects.requireNonNull(maxLeaseExtension, "maxLeaseExtension");
            if (maxLeaseExtension.isNegative()) {
                throw new IllegalArgumentException("maxLeaseExtension must be >= 0, was " + maxLeaseExtension);
            }
            this.maxLeaseExtension = maxLeaseExtension;
            return this;
        }

        public Builder onExpiry(OnExpiry onExpiry) {
            this.onExpiry = Objects.requireNonNull(onExpiry, "onExpiry");
            return this;
        }

        public DeliveryOptions build() {
            return new DeliveryOptions(this);
        }
    }
}
