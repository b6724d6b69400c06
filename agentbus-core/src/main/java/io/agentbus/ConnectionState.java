package io.agentbus;

import java.time.Instant;

/**
 * The bus's view of its Redis connection, as {@link AgentBus#connectionState()} reports it and
 * {@link BusListener#connectionStateChanged} announces it.
 *
 * @param status            connected, disconnected (reconnecting), or closed
 * @param since             when the status last changed
 * @param reconnectAttempts reconnect attempts since the connection was lost (0 while connected)
 * @param sendsInFlight     sends issued and not yet confirmed or failed: while disconnected with
 *                          {@link ConnectionOptions.DisconnectedSends#BUFFER}, the buffered sends
 */
public record ConnectionState(Status status, Instant since, long reconnectAttempts, long sendsInFlight) {

    public enum Status {
        /** The command connection is up. */
        CONNECTED,
        /** The command connection is down; Lettuce reconnects with backoff; consumers wait. */
        DISCONNECTED,
        /** The bus was closed. */
        CLOSED
    }

    public boolean isConnected() {
        return status == Status.CONNECTED;
    }
}
