package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * Signed envelopes (docs/PROTOCOL.md, "Signed envelopes"; docs/SECURITY.md): HMAC-SHA256 with a key of the
 * sending agent, so that an agent with write access to Redis cannot send in another agent's name. Off by
 * default. Immutable; part of {@link BusOptions#signing()}.
 *
 * <p>With {@code sign}, every message this bus writes to a stream (sends, requests, replies, scheduled
 * messages, durable topics, swarm messages) gets the fields {@code kid} and {@code sig}, made with the key
 * {@link SigningKeys#signingKey} gives for its {@code from_agent}; a send from an agent without one fails
 * with {@link IllegalStateException} before the message is written. With {@code requireSigned}, every entry this
 * bus's subscriptions read must carry a valid signature by a key its {@code from_agent} owns, and a
 * timestamp no older than {@code maxAge} and no further ahead than {@code maxClockSkew}; any other entry goes
 * to dead letters with reason {@code bad_signature}, counted by the meter {@code messages.bad.signatures},
 * and is never handed to a handler. Pub/sub broadcasts are neither signed nor checked.
 *
 * <p>Replays: a signed message sent again with the same {@code message_id} within the dedup window stores
 * nothing ({@link SendOptions#dedupWindow()}); a copy written into an inbox by other means is refused once
 * its timestamp is older than {@code maxAge}, which therefore may not exceed the dedup window. Within
 * {@code maxAge}, a copy written straight into the inbox by a client that bypasses the send script is not
 * told from the original: deny raw {@code XADD} to agents' ACL users (docs/SECURITY.md).
 *
 * @param sign          sign what this bus sends. Default {@code false}
 * @param requireSigned dead-letter every entry read without a valid signature. Default {@code false}: nothing
 *                      is checked, signed or not
 * @param keys          the keys to sign with and to verify against. Default {@link SigningKeys#NONE}; required
 *                      when {@code sign} or {@code requireSigned}
 * @param maxAge        a signed message whose {@code timestamp} is older than this is refused as a possible
 *                      replay. Default {@link #DEFAULT_MAX_AGE}
 * @param maxClockSkew  a signed message whose {@code timestamp} is further ahead of this process's clock than
 *                      this is refused. Default {@link #DEFAULT_MAX_CLOCK_SKEW}
 */
public record SigningOptions(
        boolean sign, boolean requireSigned, SigningKeys keys, Duration maxAge, Duration maxClockSkew) {

    /** How old a signed message may be when read (its timestamp against the reader's clock). */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);
    /** How far ahead of the reader's clock a signed message's timestamp may be. */
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(30);

    private static final SigningOptions DEFAULTS =
            new SigningOptions(false, false, SigningKeys.NONE, DEFAULT_MAX_AGE, DEFAULT_MAX_CLOCK_SKEW);

    /** Validates every setting, naming the bad one. */
    public SigningOptions {
        Objects.requireNonNull(keys, "keys");
        Require.positive("maxAge", maxAge);
        Require.nonNegative("maxClockSkew", maxClockSkew);
        if ((sign || requireSigned) && keys == SigningKeys.NONE) {
            throw new IllegalArgumentException("signing keys are required to " + (sign ? "sign" : "verify")
                    + " messages; set keys (SigningKeys.fromFile, fromEnvironment, parse or builder)");
        }
    }

    /** Signing off: nothing signed, nothing checked. */
    public static SigningOptions defaults() {
        return DEFAULTS;
    }

    /** Sign every message sent and require a valid signature on every message read, with {@code keys}. */
    public static SigningOptions signAndVerify(SigningKeys keys) {
        return builder().keys(keys).sign(true).requireSigned(true).build();
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder(this);
    }

    /** Whether any of this is on. */
    public boolean enabled() {
        return sign || requireSigned;
    }

    /** Builds {@link SigningOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private boolean sign;
        private boolean requireSigned;
        private SigningKeys keys;
        private Duration maxAge;
        private Duration maxClockSkew;

        private Builder(SigningOptions from) {
            sign = from.sign();
            requireSigned = from.requireSigned();
            keys = from.keys();
            maxAge = from.maxAge();
            maxClockSkew = from.maxClockSkew();
        }

        /** Sign what this bus sends. Default {@code false}. */
        public Builder sign(boolean sign) {
            this.sign = sign;
            return this;
        }

        /** Dead-letter every entry read without a valid signature. Default {@code false}. */
        public Builder requireSigned(boolean requireSigned) {
            this.requireSigned = requireSigned;
            return this;
        }

        /** Default {@link SigningKeys#NONE}. */
        public Builder keys(SigningKeys keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** Positive, at most the dedup window. Default {@link SigningOptions#DEFAULT_MAX_AGE} (5 min). */
        public Builder maxAge(Duration maxAge) {
            this.maxAge = Require.positive("maxAge", maxAge);
            return this;
        }

        /** Zero or more. Default {@link SigningOptions#DEFAULT_MAX_CLOCK_SKEW} (30 s). */
        public Builder maxClockSkew(Duration maxClockSkew) {
            this.maxClockSkew = Require.nonNegative("maxClockSkew", maxClockSkew);
            return this;
        }

        /** @throws IllegalArgumentException if signing or verification is on without keys */
        public SigningOptions build() {
            return new SigningOptions(sign, requireSigned, keys, maxAge, maxClockSkew);
        }
    }
}
