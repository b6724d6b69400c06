package io.agentbus.connect;

/**
 * The server's certificate is trusted but does not name the host the URI connects to: connect by a name the
 * certificate has, or set {@link io.agentbus.TlsOptions#serverName()}. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class HostnameMismatchException extends BusTlsException {

    public HostnameMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
