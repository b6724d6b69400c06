package io.agentbus.connect;

import io.agentbus.BusUnavailableException;

/**
 * Nothing accepted the connection at the host and port of the URI (connection refused): the server is not
 * running, or listens on another port or address. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class ConnectionRefusedException extends BusUnavailableException {

    public ConnectionRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
