package io.agentbus;

/**
 * Redis requires a password and none was given ({@code NOAUTH}): put one in the URI, in
 * {@link ConnectionOptions#passwordFile()}, or for the CLI in {@code AGENTBUS_REDIS_PASSWORD}. Thrown by
 * {@link AgentBus#connect}.
 */
public class AuthRequiredException extends BusAuthException {

    public AuthRequiredException(String message, Throwable cause) {
        super(message, cause);
    }
}
