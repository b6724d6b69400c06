package io.agentbus.deadletter;

import io.agentbus.Delivery;
import io.agentbus.NonRetryableException;

/**
 * Why a message was moved to an agent's dead letters ({@code agent:{id}:dlq}). The {@link #code()}
 * is what the {@code dlq_reason} field of the dead-letter entry holds.
 */
public enum DeadLetterReason {
    /** A field's bytes are not valid UTF-8. */
    INVALID_ENCODING("invalid_encoding"),
    /** A required field is absent. */
    MISSING_FIELD("missing_field"),
    /** A field breaks its rule: a bad id, a payload that is not a JSON object, a bad timestamp. */
    INVALID_FIELD("invalid_field"),
    /** The entry declares a protocol version {@code v} newer than this library reads. */
    UNSUPPORTED_VERSION("unsupported_version"),
    /** A field is larger than the payload limit; it was not decoded. */
    TOO_LARGE("too_large"),
    /** The last allowed delivery failed, or the message was delivered that often without an outcome. */
    MAX_ATTEMPTS("max_attempts"),
    /** The handler threw {@link NonRetryableException}. */
    NON_RETRYABLE("non_retryable"),
    /** The handler called {@link Delivery#deadLetter(String)}. */
    REJECTED("rejected"),
    /** Its {@code expires_at} passed before it was handled. */
    EXPIRED("expired"),
    /**
     * The consumer requires signed envelopes and this one has no valid signature: unsigned, a bad
     * {@code sig}, a {@code kid} unknown or not owned by its {@code from_agent}, or a timestamp outside the
     * window ({@code io.agentbus.SigningOptions}).
     */
    BAD_SIGNATURE("bad_signature");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The reason whose {@link #code()} is {@code code}. */
    public static java.util.Optional<DeadLetterReason> fromCode(String code) {
        for (DeadLetterReason reason : values()) {
            if (reason.code.equals(code)) {
                return java.util.Optional.of(reason);
            }
        }
        return java.util.Optional.empty();
    }
}
