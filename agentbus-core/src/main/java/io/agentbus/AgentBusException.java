package io.agentbus;

/**
 * Root of every exception agentbus throws for a failure of the world rather than of the caller:
 * Redis unreachable, a command timed out, a server that cannot be used, an envelope that breaks the
 * protocol. Unchecked, like Lettuce's {@code RedisException}. Caller mistakes (a negative timeout, a
 * closed bus) are JDK {@link IllegalArgumentException} / {@link IllegalStateException}.
 */
public class AgentBusException extends RuntimeException {

    public AgentBusException(String message) {
        super(message);
    }

    public AgentBusException(String message, Throwable cause) {
        super(message, cause);
    }
}
