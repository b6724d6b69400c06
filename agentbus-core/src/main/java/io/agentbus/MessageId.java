package io.agentbus;

import io.agentbus.protocol.WireFields;
import java.util.UUID;

/**
 * The id of a message, chosen by its sender: a random UUID unless given. 1–128 printable ASCII
 * characters without spaces. It is the key of deduplication and of correlation, so a sender that
 * retries a send keeps the id.
 */
public record MessageId(String value) {

    static final String RULE = "must be 1-128 printable ASCII characters without spaces";
    private static final int MAX_LENGTH = 128;

    public MessageId {
        check(WireFields.MESSAGE_ID, value);
    }

    public static MessageId of(String value) {
        return new MessageId(value);
    }

    public static MessageId random() {
        return new MessageId(UUID.randomUUID().toString());
    }

    /** Validates a wire field that follows the message id rule (message, correlation, conversation ids). */
    static String check(String field, String value) {
        if (!NameRules.isToken(value, MAX_LENGTH)) {
            throw new InvalidEnvelopeException(field, value, RULE);
        }
        return value;
    }

    @Override
    public String toString() {
        return value;
    }
}
