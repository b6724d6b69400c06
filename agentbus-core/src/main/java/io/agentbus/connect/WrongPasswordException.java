package io.agentbus.connect;

import io.agentbus.BusAuthException;

/**
 * Redis refused the password of the default user ({@code WRONGPASS}; the URI names no user). Thrown by
 * {@link io.agentbus.AgentBus#connect}; the message never contains the password.
 */
public class WrongPasswordException extends BusAuthException {

    public WrongPasswordException(String message, Throwable cause) {
        super(message, cause);
    }
}
