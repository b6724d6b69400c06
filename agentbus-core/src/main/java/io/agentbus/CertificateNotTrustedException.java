package io.agentbus;

/**
 * The server's certificate does not chain to a trusted CA: set {@link TlsOptions#caFile()} (CLI
 * {@code --tls-ca}) to the CA that signed it. Thrown by {@link AgentBus#connect}.
 */
public class CertificateNotTrustedException extends BusTlsException {

    public CertificateNotTrustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
