package io.agentbus.connect;

import io.agentbus.BusUnavailableException;

/**
 * The server did not answer within {@link io.agentbus.ConnectionOptions#connectTimeout()}: a firewall that drops packets,
 * an address nobody has, or a server too busy to accept. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class ConnectTimeoutException extends BusUnavailableException {

    public ConnectTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
