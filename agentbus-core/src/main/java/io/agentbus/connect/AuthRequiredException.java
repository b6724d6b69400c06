package io.agentbus.connect;

import io.agentbus.BusAuthException;

/**
 * Redis requires a password and none was given ({@code NOAUTH}): put one in the URI, in
 * {@link io.agentbus.ConnectionOptions#passwordFile()}, or for the CLI in {@code AGENTBUS_REDIS_PASSWORD}. Thrown by
 * {@link io.agentbus.AgentBus#connect}.
 */
public class AuthRequiredException extends BusAuthException {

    public AuthRequiredException(String message, Throwable cause) {
        super(message, cause);
    }
}
