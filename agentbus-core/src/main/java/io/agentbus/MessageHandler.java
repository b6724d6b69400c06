package io.agentbus;

/**
 * Handles the messages of one agent's inbox.
 *
 * <p>Threading: called on one of the bus's handler threads ({@link ConsumerOptions#handlerThreads()});
 * the deliveries of one subscription are handled one at a time, in the order they were read, so a
 * handler needs no locking of its own state. Run more subscriptions of the same agent (in this or
 * another process) to handle its inbox in parallel; they compete for its messages.
 *
 * <p>Outcome: returning normally acknowledges the message ({@code XACK}). Throwing leaves it
 * pending in the inbox's consumer group; it is neither acknowledged nor lost, and is logged. The
 * handler must not assume it sees a message only once: delivery is at least once.
 */
@FunctionalInterface
public interface MessageHandler {

    void handle(Delivery delivery) throws Exception;
}
