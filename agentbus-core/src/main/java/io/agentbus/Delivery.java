package io.agentbus;

import java.time.Instant;

/** One delivery of a message to a handler. */
public interface Delivery {

    /** The message. */
    Envelope envelope();

    /**
     * Which delivery of this message this is, starting at 1, as counted by Redis for the inbox's
     * consumer group.
     */
    int attempt();

    /** The id of the inbox stream entry that holds the message, for example {@code 1700000000000-0}. */
    String entryId();

    /** The consumer (one running instance of the agent) the message was delivered to. */
    String consumer();

    /** When this process read the message from Redis. */
    Instant receivedAt();
}
