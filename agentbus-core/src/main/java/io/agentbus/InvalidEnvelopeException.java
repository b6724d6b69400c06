package io.agentbus;

/**
 * An envelope, id or payload breaks a rule of the protocol. Thrown before any Redis call is made,
 * so nothing was sent. The message names the field, the offending value (truncated) and the rule.
 */
public class InvalidEnvelopeException extends AgentBusException {

    private static final int MAX_SHOWN_VALUE = 80;

    private final String field;
    private final String rule;

    public InvalidEnvelopeException(String field, String value, String rule) {
        super(field + " " + rule + "; was " + shown(value));
        this.field = field;
        this.rule = rule;
    }

    /** The wire name of the field that broke the rule, for example {@code to_agent}. */
    public String field() {
        return field;
    }

    /** The rule that was broken, in words. */
    public String rule() {
        return rule;
    }

    static String shown(String value) {
        if (value == null) {
            return "absent";
        }
        String cut = value.length() > MAX_SHOWN_VALUE ? value.substring(0, MAX_SHOWN_VALUE) + "…" : value;
        return "'" + escaped(cut) + "' (" + value.length() + " chars)";
    }

    /**
     * Control characters written as escapes: a hostile value must not forge a second log line or move
     * a terminal's cursor where the message is printed.
     */
    private static String escaped(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
