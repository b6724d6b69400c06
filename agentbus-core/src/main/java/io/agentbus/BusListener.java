package io.agentbus;

/**
 * Receives events of a bus. Rules: be fast, never block, never throw, never call back into the bus
 * from a callback (they run on Redis I/O threads). Every method has a no-op default.
 */
public interface BusListener {

    /** The connection to Redis was lost, attempted again, or restored. */
    default void connectionStateChanged(ConnectionState state) {}

    /**
     * A reply arrived after its request timed out (or for a request this bus never made while
     * running); it was acknowledged and not handed to a handler.
     */
    default void lateReply(Envelope reply) {}

    /**
     * A message expired before it was handled: moved to dead letters ({@code deadLettered}) or
     * dropped, per {@link DeliveryOptions#onExpiry()}.
     */
    default void expired(Envelope message, boolean deadLettered) {}

    /** A listener that ignores everything. */
    BusListener NONE = new BusListener() {};
}
