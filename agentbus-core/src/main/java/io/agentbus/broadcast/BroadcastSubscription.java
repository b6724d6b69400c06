package io.agentbus.broadcast;

/** One listening to a channel or glob pattern; close it to stop. Restored by the bus after every reconnect. */
public interface BroadcastSubscription extends AutoCloseable {

    /** The channel, or the pattern if it contains {@code * ? [}. */
    String channel();

    /** Broadcasts handed to the handler so far. */
    long received();

    /** Idempotent. */
    @Override
    void close();
}
