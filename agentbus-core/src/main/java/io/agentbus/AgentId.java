package io.agentbus;

/**
 * The id of an agent: 1–64 characters of letters, digits, {@code _ . -}, starting with a letter or
 * digit. It becomes the Redis Cluster hash tag of every key of the agent ({@code agent:{id}:inbox}),
 * which is why braces, colons and spaces are not allowed.
 */
public record AgentId(String value) {

    static final String RULE =
            "must be 1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit";
    private static final int MAX_LENGTH = 64;

    public AgentId {
        if (!NameRules.isName(value, MAX_LENGTH)) {
            throw new InvalidEnvelopeException("agent id", value, RULE);
        }
    }

    public static AgentId of(String value) {
        return new AgentId(value);
    }

    /** Validates {@code value} as the agent id held by the wire field {@code field}. */
    static AgentId of(String field, String value) {
        if (!NameRules.isName(value, MAX_LENGTH)) {
            throw new InvalidEnvelopeException(field, value, RULE);
        }
        return new AgentId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
