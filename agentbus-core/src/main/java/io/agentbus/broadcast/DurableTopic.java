package io.agentbus.broadcast;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Retention;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.deadletter.DeadLetters;
import java.util.concurrent.CompletionStage;

/**
 * A durable topic ({@code topic:{name}}, a Redis Stream): every subscriber group receives every
 * message, even one published while the group was offline; the instances of one group compete, as
 * the instances of an agent do for its inbox. Delivery, acks, reclaim, retries, dead letters and
 * dedup are the inbox's, unchanged. Obtain one with {@link AgentBus#topic(String)}.
 */
public interface DurableTopic {

    /** Where a subscriber group that does not exist yet starts reading. */
    enum StartFrom {
        /** Only messages published after the group was created. */
        NOW,
        /** Every message the topic still retains. */
        OLDEST
    }

    String name();

    /**
     * Appends the message to the topic, once per message id within {@link SendOptions#dedupWindow()}.
     * The bus does not read {@code to_agent} for a topic message; by convention it holds the topic name.
     */
    CompletionStage<SendReceipt> publish(Envelope envelope);

    /** Starts one instance of subscriber group {@code group}, with the bus's delivery settings. */
    Subscription subscribe(AgentId group, StartFrom from, MessageHandler handler);

    /** Starts one instance of subscriber group {@code group}. {@code from} matters only when the group is new. */
    Subscription subscribe(AgentId group, StartFrom from, DeliveryOptions delivery, MessageHandler handler);

    /**
     * Applies the retention now: removes entries beyond {@link Retention#maxLength()} or older
     * than {@link Retention#maxAge()}, but never one that a group has not received yet or still
     * holds pending. Blocking. Also runs, in the background, every 1,000
     * publishes through this handle.
     *
     * @return how many entries were removed
     */
    long trim();

    /** The dead letters of subscriber group {@code group} on this topic. */
    DeadLetters deadLetters(AgentId group);
}
