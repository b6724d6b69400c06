package io.agentbus.connect;

/**
 * The URI says {@code redis://} (plaintext) but the port speaks TLS: use {@code rediss://}. The bus never
 * sends anything but the opening command in plaintext. Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class PlaintextToTlsPortException extends BusTlsException {

    public PlaintextToTlsPortException(String message, Throwable cause) {
        super(message, cause);
    }
}
