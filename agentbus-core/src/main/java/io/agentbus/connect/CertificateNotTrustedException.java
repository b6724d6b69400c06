package io.agentbus.connect;

/**
 * The server's certificate does not chain to a trusted CA: set {@link io.agentbus.TlsOptions#caFile()} (CLI
 * {@code --tls-ca}) to the CA that signed it. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class CertificateNotTrustedException extends BusTlsException {

    public CertificateNotTrustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
