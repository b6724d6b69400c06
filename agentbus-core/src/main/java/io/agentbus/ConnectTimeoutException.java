package io.agentbus;

/**
 * The server did not answer within {@link ConnectionOptions#connectTimeout()}: a firewall that drops packets,
 * an address nobody has, or a server too busy to accept. Thrown by {@link AgentBus#connect}.
 */
public class ConnectTimeoutException extends BusUnavailableException {

    public ConnectTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
