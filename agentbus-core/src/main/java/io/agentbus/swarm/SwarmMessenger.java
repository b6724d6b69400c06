package io.agentbus.swarm;

import io.agentbus.Envelope;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.MessageHandler;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The inter-swarm messenger (the swarm ADR): durable swarm-to-swarm messages on one stream per pair,
 * {@code message:<from>:{<to>}}, whose hash tag is the receiving swarm, so the stream lives with the
 * receiver's keys. Delivery is the inbox's: the receiving swarm's instances compete through one
 * consumer group, acks, retries with backoff, reclaim after the visibility timeout and dead letters
 * ({@code message:<from>:{<to>}:dlq:swarm}) are unchanged, and a send is deduplicated by message id.
 *
 * <p>History. Each pair keeps its newest {@link SwarmOptions#messageHistory()} entries (default
 * 100) for replay and recovery: a sender trims the stream after each send, but never an entry the
 * receiving swarm has not received or still holds pending, so the stream exceeds the bound while the
 * receiver lags, and returns to it at the next send after it caught up. A pair's group is created
 * with its first message, so that guarantee holds even before the receiver ever ran.
 *
 * <p>Obtain it with {@link Swarms#messenger()}. Sends are asynchronous; history queries block.
 */
public interface SwarmMessenger {

    /** A message of a pair's history: its entry id (its position, for {@link #historyAfter}) and the message. */
    record Entry(String entryId, Envelope message) {}

    /**
     * Sends {@code message} from swarm {@code from_agent} to swarm {@code to_agent} (both follow the
     * agent id rule), once per message id within {@link SendOptions#dedupWindow()}. The stage completes
     * when Redis has stored it and trimmed the pair's history.
     *
     * @throws InvalidEnvelopeException at once if the payload is larger than {@link SendOptions#maxPayloadBytes()}
     */
    CompletionStage<SendReceipt> send(Envelope message);

    /** Sends a message of {@code type} with the JSON object {@code payload}, priority normal; see {@link #send(Envelope)}. */
    CompletionStage<SendReceipt> send(String fromSwarm, String toSwarm, String type, String payload);

    /**
     * Starts one instance of swarm {@code toSwarm}'s receiver: {@code handler} gets the messages of every
     * sender, each at least once, with the bus's delivery settings. Senders are found through the index
     * {@code swarm:{<to>}:senders} that every send updates: at start, then every
     * {@link #SENDER_CHECK_MILLIS} ms; a sender's messages sent before it was found are delivered too.
     * Instances in other processes compete for the messages.
     *
     * @throws IllegalStateException if this bus already runs a receiver of {@code toSwarm}
     */
    Subscription receive(String toSwarm, MessageHandler handler);

    /** How often a receiver looks for new senders in the index. */
    long SENDER_CHECK_MILLIS = 1_000;

    /** The newest {@code limit} messages of the pair, oldest first. Entries that are not valid envelopes are left out. */
    List<Entry> history(String fromSwarm, String toSwarm, int limit);

    /** Up to {@code limit} messages of the pair after entry {@code afterEntryId}, oldest first: the next page of a replay. */
    List<Entry> historyAfter(String fromSwarm, String toSwarm, String afterEntryId, int limit);

    /** Every swarm that has sent to {@code toSwarm}: the pairs whose history there is to replay. */
    Set<String> senders(String toSwarm);
}
