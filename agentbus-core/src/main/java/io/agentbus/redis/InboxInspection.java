package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XPendingArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads an inbox's figures in two pipelined rounds over its priority bands.
 *
 * <p>First round: XLEN, XPENDING (summary), XINFO CONSUMERS and XINFO GROUPS of each band, TIME (ages are
 * computed against the server's clock, not this machine's), the agent's running instances
 * ({@code agent:{id}:instances}), and the sizes of its dead letters and delayed set, and its counters.
 *
 * <p>Second round, only where there is something to find: the first entry after the group's
 * {@code last-delivered-id} (the oldest unread), counted up to {@link InboxStats#UNREAD_COUNT_LIMIT} when
 * Redis does not report the group's lag (6.2 has no lag; 7.x forgets it after an XDEL), and the pending
 * entries idle past the visibility timeout ({@code XPENDING … IDLE}). Band figures are summed; a consumer's
 * pending entries are summed over bands and its idle time is its least.
 */
final class InboxInspection {

    private InboxInspection() {}

    private record Band(
            String key,
            CompletableFuture<Long> length,
            CompletableFuture<PendingMessages> pending,
            CompletableFuture<List<Object>> consumers,
            CompletableFuture<List<Object>> groups) {}

    /** What the second round found in one band. */
    private record Backlog(long unread, Optional<String> oldestUnreadId, long overdue) {
        static final Backlog NONE = new Backlog(0, Optional.empty(), 0);
    }

    /**
     * @param visibilityTimeout an entry pending longer without a lease extension is overdue; a consumer idle
     *     {@link InboxStats#DEAD_AFTER_VISIBILITY_TIMEOUTS} times as long, and not heartbeating, is dead
     */
    static CompletionStage<InboxStats> of(
            RedisClusterAsyncCommands<String, String> redis, AgentId agent, Duration visibilityTimeout) {
        List<Band> bands = new ArrayList<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (PriorityBand priorityBand : PriorityBand.values()) {
            String inbox = priorityBand.inbox(agent);
            Band band = new Band(
                    inbox,
                    redis.xlen(inbox).toCompletableFuture(),
                    orNullWithoutGroup(redis.xpending(inbox, KeySchema.INBOX_GROUP)),
                    orNullWithoutGroup(redis.xinfoConsumers(inbox, KeySchema.INBOX_GROUP)),
                    orNullWithoutGroup(redis.xinfoGroups(inbox)));
            bands.add(band);
            all.addAll(List.of(band.length(), band.pending(), band.consumers(), band.groups()));
        }
        CompletableFuture<List<String>> time = redis.time().toCompletableFuture();
        CompletableFuture<List<ScoredValue<String>>> instances =
                redis.zrangeWithScores(KeySchema.instances(agent), 0, -1).toCompletableFuture();
        CompletableFuture<Long> deadLetters =
                redis.xlen(KeySchema.deadLetters(agent)).toCompletableFuture();
        CompletableFuture<Long> delayed = redis.zcard(KeySchema.delayed(agent)).toCompletableFuture();
        CompletableFuture<Map<String, String>> counters =
                redis.hgetall(KeySchema.counters(agent)).toCompletableFuture();
        all.addAll(List.of(time, instances, deadLetters, delayed, counters));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenCompose(firstRound -> {
            long serverMillis = Long.parseLong(time.join().get(0)) * 1000
                    + Long.parseLong(time.join().get(1)) / 1000;
            List<CompletableFuture<Backlog>> backlogs = new ArrayList<>();
            for (Band band : bands) {
                backlogs.add(backlog(redis, band, visibilityTimeout));
            }
            return CompletableFuture.allOf(backlogs.toArray(CompletableFuture[]::new))
                    .thenApply(secondRound -> {
                        Set<String> heartbeating = new HashSet<>();
                        for (ScoredValue<String> instance : instances.join()) {
                            if (instance.getScore() > serverMillis) {
                                heartbeating.add(instance.getValue());
                            }
                        }
                        Duration deadAfter = visibilityTimeout.multipliedBy(InboxStats.DEAD_AFTER_VISIBILITY_TIMEOUTS);
                        long length = 0;
                        long pending = 0;
                        long unread = 0;
                        long overdue = 0;
                        boolean groupExists = false;
                        Optional<Duration> oldestPendingAge = Optional.empty();
                        Optional<Duration> oldestUnreadAge = Optional.empty();
                        Map<String, InboxStats.ConsumerStats> consumers = new LinkedHashMap<>();
                        for (int i = 0; i < bands.size(); i++) {
                            Band band = bands.get(i);
                            Backlog backlog = backlogs.get(i).join();
                            length += band.length().join();
                            unread += backlog.unread();
                            overdue += backlog.overdue();
                            oldestUnreadAge = oldest(oldestUnreadAge, backlog.oldestUnreadId(), serverMillis);
                            PendingMessages summary = band.pending().join();
                            if (summary == null) {
                                continue;
                            }
                            groupExists = true;
                            pending += summary.getCount();
                            if (summary.getCount() > 0 && summary.getMessageIds() != null) {
                                oldestPendingAge = oldest(
                                        oldestPendingAge,
                                        Optional.ofNullable(summary.getMessageIds()
                                                .getLower()
                                                .getValue()),
                                        serverMillis);
                            }
                            for (InboxStats.ConsumerStats consumer :
                                    consumerStats(band.consumers().join(), heartbeating, deadAfter)) {
                                consumers.merge(consumer.name(), consumer, InboxInspection::sameConsumer);
                            }
                        }
                        return new InboxStats(
                                agent,
                                length,
                                pending,
                                List.copyOf(consumers.values()),
                                oldestPendingAge,
                                groupExists,
                                deadLetters.join(),
                                delayed.join(),
                                counters(counters.join()),
                                unread,
                                oldestUnreadAge,
                                overdue);
                    });
        });
    }

    /** One consumer seen in two bands: what it holds in both, its least idle time, live if either says so. */
    private static InboxStats.ConsumerStats sameConsumer(InboxStats.ConsumerStats a, InboxStats.ConsumerStats b) {
        return new InboxStats.ConsumerStats(
                a.name(),
                a.pending() + b.pending(),
                a.idle().compareTo(b.idle()) <= 0 ? a.idle() : b.idle(),
                a.live() || b.live());
    }

    /**
     * The second round of one band. Without a group every retained entry is unread. With one, Redis 7.0+
     * says how many entries come after its last-delivered-id ({@code lag}); when it cannot (6.2, or a deletion
     * since), they are counted by reading them, up to {@link InboxStats#UNREAD_COUNT_LIMIT}.
     */
    private static CompletableFuture<Backlog> backlog(
            RedisClusterAsyncCommands<String, String> redis, Band band, Duration visibilityTimeout) {
        long length = band.length().join();
        Map<String, Object> group = inboxGroup(band.groups().join());
        if (group == null) {
            return length == 0
                    ? CompletableFuture.completedFuture(Backlog.NONE)
                    : firstIds(redis, band.key(), Range.Boundary.unbounded(), 1)
                            .thenApply(ids -> new Backlog(length, ids.stream().findFirst(), 0));
        }
        Range.Boundary<String> afterDelivered =
                Range.Boundary.excluding(String.valueOf(group.get("last-delivered-id")));
        Object lag = group.get("lag");
        CompletableFuture<Backlog> unread;
        if (lag instanceof Number known) {
            unread = known.longValue() == 0
                    ? CompletableFuture.completedFuture(Backlog.NONE)
                    : firstIds(redis, band.key(), afterDelivered, 1)
                            .thenApply(ids ->
                                    new Backlog(known.longValue(), ids.stream().findFirst(), 0));
        } else {
            unread = firstIds(redis, band.key(), afterDelivered, InboxStats.UNREAD_COUNT_LIMIT)
                    .thenApply(ids -> new Backlog(ids.size(), ids.stream().findFirst(), 0));
        }
        Object pending = group.get("pending");
        if (!(pending instanceof Number count) || count.longValue() == 0) {
            return unread;
        }
        CompletableFuture<Long> overdue = redis.xpending(
                        band.key(),
                        XPendingArgs.Builder.xpending(
                                        KeySchema.INBOX_GROUP,
                                        Range.unbounded(),
                                        Limit.from(InboxStats.OVERDUE_COUNT_LIMIT))
                                .idle(visibilityTimeout))
                .thenApply(entries -> (long) entries.size())
                .toCompletableFuture();
        return unread.thenCombine(overdue, (found, held) -> new Backlog(found.unread(), found.oldestUnreadId(), held));
    }

    /** The ids of up to {@code limit} entries from {@code from} on (exclusive or unbounded). */
    private static CompletableFuture<List<String>> firstIds(
            RedisClusterAsyncCommands<String, String> redis, String key, Range.Boundary<String> from, int limit) {
        return redis.xrange(key, Range.from(from, Range.Boundary.unbounded()), Limit.from(limit))
                .thenApply(entries -> entries.stream().map(StreamMessage::getId).toList())
                .toCompletableFuture();
    }

    /** The {@code agentbus} group of an XINFO GROUPS reply, as field -> value; null if absent. */
    private static Map<String, Object> inboxGroup(List<Object> reply) {
        if (reply == null) {
            return null;
        }
        for (Object group : reply) {
            List<?> fields = (List<?>) group;
            Map<String, Object> byName = new HashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                byName.put(String.valueOf(fields.get(i)), fields.get(i + 1));
            }
            if (KeySchema.INBOX_GROUP.equals(String.valueOf(byName.get("name")))) {
                return byName;
            }
        }
        return null;
    }

    /** The greater of {@code current} and the age of entry {@code entryId}, if there is one. */
    private static Optional<Duration> oldest(Optional<Duration> current, Optional<String> entryId, long serverMillis) {
        if (entryId.isEmpty()) {
            return current;
        }
        Duration age = Duration.ofMillis(Math.max(0, serverMillis - entryMillis(entryId.get())));
        return current.filter(known -> known.compareTo(age) >= 0).or(() -> Optional.of(age));
    }

    /**
     * XINFO CONSUMERS replies, per consumer, a flat list of alternating names and values. A consumer is live
     * when it is among {@code heartbeating} or idle no longer than {@code deadAfter}.
     */
    static List<InboxStats.ConsumerStats> consumerStats(
            List<Object> reply, Set<String> heartbeating, Duration deadAfter) {
        List<InboxStats.ConsumerStats> stats = new ArrayList<>();
        if (reply == null) {
            return stats;
        }
        for (Object consumer : reply) {
            List<?> fields = (List<?>) consumer;
            String name = null;
            long pending = 0;
            long idleMillis = 0;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String key = String.valueOf(fields.get(i));
                Object value = fields.get(i + 1);
                switch (key) {
                    case "name" -> name = String.valueOf(value);
                    case "pending" -> pending = ((Number) value).longValue();
                    case "idle" -> idleMillis = ((Number) value).longValue();
                    default -> {}
                }
            }
            Duration idle = Duration.ofMillis(idleMillis);
            stats.add(new InboxStats.ConsumerStats(
                    name, pending, idle, heartbeating.contains(name) || idle.compareTo(deadAfter) <= 0));
        }
        return stats;
    }

    /** Reads the counters hash (fields in {@link WireFields#COUNTERS}'s order); a missing field is 0. */
    private static InboxStats.Counters counters(Map<String, String> hash) {
        long[] totals = WireFields.COUNTERS.stream()
                .mapToLong(field -> counter(hash, field))
                .toArray();
        return new InboxStats.Counters(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]);
    }

    private static long counter(Map<String, String> hash, String field) {
        String value = hash.get(field);
        return value == null ? 0 : Long.parseLong(value);
    }

    private static long entryMillis(String entryId) {
        int dash = entryId.indexOf('-');
        return Long.parseLong(dash < 0 ? entryId : entryId.substring(0, dash));
    }

    private static <T> CompletableFuture<T> orNullWithoutGroup(CompletionStage<T> stage) {
        return stage.handle((value, failure) -> {
                    if (failure == null) {
                        return value;
                    }
                    // NOGROUP: nobody subscribed yet; "no such key": nothing was ever sent either.
                    if (RedisErrors.hasErrorCode(failure, "NOGROUP")
                            || RedisErrors.hasErrorCode(failure, "ERR no such key")) {
                        return (T) null;
                    }
                    throw RedisErrors.map(failure, "inspect inbox");
                })
                .toCompletableFuture();
    }
}
