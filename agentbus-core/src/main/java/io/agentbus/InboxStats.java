package io.agentbus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A look into one agent's inbox.
 *
 * @param agent            the agent
 * @param length           entries in the inbox stream (handled ones included until trimmed)
 * @param pending          entries delivered to a consumer and not yet acknowledged
 * @param consumers        the consumers of the agent's group; empty if nobody ever subscribed
 * @param oldestPendingAge how long ago the oldest pending entry was appended, if any is pending
 * @param groupExists      whether the agent's consumer group exists (an agent subscribed at least once)
 * @param deadLetters      entries in the agent's dead letters
 * @param delayed          messages waiting for their delivery time
 */
public record InboxStats(
        AgentId agent,
        long length,
        long pending,
        List<ConsumerStats> consumers,
        Optional<Duration> oldestPendingAge,
        boolean groupExists,
        long deadLetters,
        long delayed) {

    public InboxStats {
        consumers = List.copyOf(consumers);
    }

    /**
     * One consumer (running instance) of an inbox.
     *
     * @param name    the consumer name
     * @param pending entries delivered to it and not acknowledged
     * @param idle    time since it last read or acknowledged
     */
    public record ConsumerStats(String name, long pending, Duration idle) {
    }
}
