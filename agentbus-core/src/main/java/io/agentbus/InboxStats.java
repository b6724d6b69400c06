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
 * @param counters         what happened to the agent's messages since its inbox was created, over every process
 */
public record InboxStats(
        AgentId agent,
        long length,
        long pending,
        List<ConsumerStats> consumers,
        Optional<Duration> oldestPendingAge,
        boolean groupExists,
        long deadLetters,
        long delayed,
        Counters counters) {

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
    public record ConsumerStats(String name, long pending, Duration idle) {}

    /**
     * Totals kept in Redis ({@code agent:{id}:counters}) by the scripts that do each step, so they
     * count every process's work exactly once. Expired messages that were dropped (not dead-lettered)
     * count as acked.
     *
     * @param sent          messages accepted into the inbox (or its delayed set)
     * @param deduplicated  sends refused as a repeat of a message id within the dedup window
     * @param acked         deliveries acknowledged
     * @param retried       failed deliveries scheduled for another attempt
     * @param deadLettered  messages moved to dead letters, except expired ones
     * @param expired       messages moved to dead letters because they expired
     * @param redriven      dead letters moved back into the inbox
     */
    public record Counters(
            long sent, long deduplicated, long acked, long retried, long deadLettered, long expired, long redriven) {}
}
