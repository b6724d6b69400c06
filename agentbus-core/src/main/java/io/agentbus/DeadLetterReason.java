package io.agentbus;

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
    UNSUPPORTED_VERSION("unsupported_version");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
