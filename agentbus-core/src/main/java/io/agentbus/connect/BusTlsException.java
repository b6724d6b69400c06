package io.agentbus.connect;

import io.agentbus.AgentBusException;

/**
 * The TLS handshake with a {@code rediss://} server failed. Its subclasses name the known causes; this class
 * itself is thrown for any other (a protocol or cipher the two sides do not share, an unreadable key file).
 * Not a {@link io.agentbus.BusUnavailableException}: trying again does not help until the certificates or options change.
 */
public class BusTlsException extends AgentBusException {

    public BusTlsException(String message, Throwable cause) {
        super(message, cause);
    }
}
