package io.agentbus.connect;

import io.agentbus.BusAuthException;

/**
 * Redis refused the user the URI names ({@code WRONGPASS}): the user does not exist, is disabled, or its
 * password is wrong. Redis answers these alike on purpose, so that user names cannot be probed. Thrown by
 * {@link io.agentbus.AgentBus#connect}; the message names the user, never the password.
 */
public class UserRejectedException extends BusAuthException {

    public UserRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
