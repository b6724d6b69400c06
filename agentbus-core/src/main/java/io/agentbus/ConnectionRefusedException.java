package io.agentbus;

/**
 * Nothing accepted the connection at the host and port of the URI (connection refused): the server is not
 * running, or listens on another port or address. Thrown by {@link AgentBus#connect}.
 */
public class ConnectionRefusedException extends BusUnavailableException {

    public ConnectionRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
