package io.agentbus;

/**
 * Redis refused the password of the default user ({@code WRONGPASS}; the URI names no user). Thrown by
 * {@link AgentBus#connect}; the message never contains the password.
 */
public class WrongPasswordException extends BusAuthException {

    public WrongPasswordException(String message, Throwable cause) {
        super(message, cause);
    }
}
