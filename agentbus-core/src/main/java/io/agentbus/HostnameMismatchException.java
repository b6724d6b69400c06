package io.agentbus;

/**
 * The server's certificate is trusted but does not name the host the URI connects to: connect by a name the
 * certificate has, or set {@link TlsOptions#serverName()}. Thrown by {@link AgentBus#connect}.
 */
public class HostnameMismatchException extends BusTlsException {

    public HostnameMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
