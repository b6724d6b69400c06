package io.agentbus.connect;

/**
 * The URI says {@code rediss://} (TLS) but the port speaks plaintext: use the server's TLS port
 * ({@code tls-port}), or {@code redis://} where plaintext is acceptable. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class TlsToPlaintextPortException extends BusTlsException {

    public TlsToPlaintextPortException(String message, Throwable cause) {
        super(message, cause);
    }
}
