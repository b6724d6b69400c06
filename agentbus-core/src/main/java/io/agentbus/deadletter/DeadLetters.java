package io.agentbus.deadletter;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Operates one agent's dead letters: list, inspect, redrive into the inbox, purge. Obtained from
 * {@link AgentBus#deadLetters(AgentId)}. The methods block (they are for operators and tools) and
 * throw {@link BusUnavailableException} when Redis does not answer.
 */
public interface DeadLetters {

    AgentId agent();

    /** How many dead letters the agent has. */
    long count();

    /** The oldest {@code limit} dead letters, oldest first. */
    List<DeadLetter> list(int limit);

    /** The dead letter with entry id {@code id}, or with that message id. */
    Optional<DeadLetter> find(String id);

    /**
     * Moves the given dead letters back into the inbox as new entries (the attempt count starts
     * again at 1), each atomically. Ids that are not dead-letter entry ids (use {@link #find} to
     * look one up by message id) are skipped.
     *
     * @return how many were redriven
     */
    long redrive(List<String> ids);

    /**
     * Redrives every dead letter present when the call starts, in batches; {@code progress} receives
     * the running count after each batch.
     *
     * @return how many were redriven
     */
    long redriveAll(LongConsumer progress);

    /** Deletes every dead letter; returns how many. */
    long purge();

    /** Deletes dead letters dead-lettered more than {@code age} ago; returns how many. */
    long purgeOlderThan(Duration age);
}
