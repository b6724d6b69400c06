package io.agentbus;

/**
 * Redis refused the credentials or the command ({@code NOAUTH}, {@code WRONGPASS}, {@code NOPERM}). At
 * connect, one of its subclasses says which: {@link io.agentbus.connect.WrongPasswordException},
 * {@link io.agentbus.connect.UserRejectedException}, {@link io.agentbus.connect.AuthRequiredException}. Its message names the user, never the password.
 */
public class BusAuthException extends AgentBusException {

    public BusAuthException(String message, Throwable cause) {
        super(message, cause);
    }
}
