package io.agentbus;

/**
 * Redis could not be reached, or did not answer within the command timeout. When thrown by a
 * send, the message may or may not have been appended: the server can have acted before the
 * failure became visible here. Resending with the same message id is the safe retry.
 */
public class BusUnavailableException extends AgentBusException {

    public BusUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
