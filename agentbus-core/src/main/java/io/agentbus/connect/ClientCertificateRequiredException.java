package io.agentbus.connect;

/**
 * The server requires a client certificate (mutual TLS, {@code tls-auth-clients yes}) and none was shown, or
 * it did not accept the one shown: set {@link io.agentbus.TlsOptions#certFile()} and {@link io.agentbus.TlsOptions#keyFile()} (CLI
 * {@code --tls-cert}, {@code --tls-key}). Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class ClientCertificateRequiredException extends BusTlsException {

    public ClientCertificateRequiredException(String message, Throwable cause) {
        super(message, cause);
    }
}
