package io.agentbus;

import io.agentbus.protocol.WireFields;
import java.util.Locale;

/**
 * The named priorities. On the wire and in {@link Envelope#priority()} a priority is an integer
 * 1–9 (higher is more urgent); these names are accepted on input and map onto it.
 */
public enum Priority {
    LOW(3),
    NORMAL(5),
    HIGH(7),
    URGENT(8),
    CRITICAL(9);

    public static final int MIN = 1;
    public static final int MAX = 9;
    static final String RULE = "must be an integer 1-9 or one of low, normal, high, urgent, critical";

    private final int value;

    Priority(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    /** Parses {@code "1"}..{@code "9"} or a name ({@code "high"}, case-insensitive) into 1–9. */
    public static int parse(String text) {
        if (text != null) {
            String trimmed = text.trim();
            if (trimmed.length() == 1 && trimmed.charAt(0) >= '1' && trimmed.charAt(0) <= '9') {
                return trimmed.charAt(0) - '0';
            }
            for (Priority priority : values()) {
                if (priority.name().equals(trimmed.toUpperCase(Locale.ROOT))) {
                    return priority.value;
                }
            }
        }
        throw new InvalidEnvelopeException(WireFields.PRIORITY, text, RULE);
    }

    static int check(int value) {
        if (value < MIN || value > MAX) {
            throw new InvalidEnvelopeException(WireFields.PRIORITY, Integer.toString(value), RULE);
        }
        return value;
    }
}
