package io.agentbus;

/** Redis refused the credentials or the command ({@code NOAUTH}, {@code WRONGPASS}, {@code NOPERM}). */
public class BusAuthException extends AgentBusException {

    public BusAuthException(String message, Throwable cause) {
        super(message, cause);
    }
}
