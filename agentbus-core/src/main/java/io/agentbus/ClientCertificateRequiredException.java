package io.agentbus;

/**
 * The server requires a client certificate (mutual TLS, {@code tls-auth-clients yes}) and none was shown, or
 * it did not accept the one shown: set {@link TlsOptions#certFile()} and {@link TlsOptions#keyFile()} (CLI
 * {@code --tls-cert}, {@code --tls-key}). Thrown by {@link AgentBus#connect}.
 */
public class ClientCertificateRequiredException extends BusTlsException {

    public ClientCertificateRequiredException(String message, Throwable cause) {
        super(message, cause);
    }
}
