package io.agentbus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A look into one agent's inbox.
 *
 * @param agent            the agent
 * @param length           entries retained in the inbox streams: unread, pending and handled ones alike until
 *                         trimmed, so not a backlog (see {@code unread})
 * @param pending          entries delivered to a consumer and not yet acknowledged
 * @param consumers        the consumers of the agent's group; empty if nobody ever subscribed
 * @param oldestPendingAge how long ago the oldest pending entry was appended, if any is pending
 * @param groupExists      whether the agent's consumer group exists (an agent subscribed at least once)
 * @param deadLetters      entries in the agent's dead letters
 * @param delayed          messages waiting for their delivery time
 * @param counters         what happened to the agent's messages since its inbox was created, over every process
 * @param unread           the backlog: entries appended and delivered to no instance yet, summed over the bands
 *                         (every retained entry while nobody ever subscribed). Redis 7.0+ reports it per group
 *                         ({@code XINFO GROUPS} lag); Redis 6.2, or 7.x after a deletion made the lag unknown, is
 *                         counted by reading, up to {@value #UNREAD_COUNT_LIMIT} entries per band: a figure of
 *                         that size means at least that many
 * @param oldestUnreadAge  how long ago the oldest unread entry was appended, if any is unread
 * @param overdue          pending entries idle longer than the visibility timeout of the bus that looked: held by
 *                         an instance that neither settles nor extends them (dead, or hung), counted up to
 *                         {@value #OVERDUE_COUNT_LIMIT} per band. A running instance of the agent reclaims them
 *                         within a quarter of the timeout; if they stay, nobody is taking them
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
        Counters counters,
        long unread,
        Optional<Duration> oldestUnreadAge,
        long overdue) {

    /** The most unread entries counted per band where Redis does not report the figure (6.2). */
    public static final int UNREAD_COUNT_LIMIT = 1_000;

    /** The most overdue pending entries counted per band. */
    public static final int OVERDUE_COUNT_LIMIT = 1_000;

    /**
     * A consumer idle longer than this many visibility timeouts, and not among the agent's running instances
     * ({@code agent:{id}:instances}), belongs to an instance that is gone.
     */
    public static final int DEAD_AFTER_VISIBILITY_TIMEOUTS = 3;

    public InboxStats {
        consumers = List.copyOf(consumers);
        if (unread < 0 || overdue < 0) {
            throw new IllegalArgumentException("unread and overdue must be >= 0, were " + unread + " and " + overdue);
        }
    }

    /**
     * One consumer of an inbox: a running instance, or what an ended one left behind.
     *
     * @param name    the consumer name
     * @param pending entries delivered to it and not acknowledged
     * @param idle    time since it last read or acknowledged
     * @param live    whether its instance runs: listed unexpired in {@code agent:{id}:instances} (it heartbeats),
     *                or idle no longer than {@value InboxStats#DEAD_AFTER_VISIBILITY_TIMEOUTS} visibility timeouts.
     *                A dead consumer holding nothing is removed by a running instance's sweep, or by
     *                {@code agentbus server} ({@code --forget-consumers-after}); one holding entries stays until
     *                they are reclaimed
     */
    public record ConsumerStats(String name, long pending, Duration idle, boolean live) {}

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
