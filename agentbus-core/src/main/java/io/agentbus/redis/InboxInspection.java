package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads an inbox's figures in one pipelined round over its priority bands: XLEN, XPENDING (summary)
 * and XINFO CONSUMERS of each band, TIME (ages are computed against the server's clock, not this
 * machine's), and the sizes of the agent's dead letters and delayed set. Band figures are summed; a
 * consumer's pending entries are summed over bands and its idle time is its least.
 */
final class InboxInspection {

    private InboxInspection() {}

    private record Band(
            CompletableFuture<Long> length,
            CompletableFuture<PendingMessages> pending,
            CompletableFuture<List<Object>> consumers) {}

    static CompletionStage<InboxStats> of(RedisClusterAsyncCommands<String, String> redis, AgentId agent) {
        List<Band> bands = new ArrayList<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (PriorityBand priorityBand : PriorityBand.values()) {
            String inbox = priorityBand.inbox(agent);
            Band band = new Band(
                    redis.xlen(inbox).toCompletableFuture(),
                    orNullWithoutGroup(redis.xpending(inbox, KeySchema.INBOX_GROUP)),
                    orNullWithoutGroup(redis.xinfoConsumers(inbox, KeySchema.INBOX_GROUP)));
            bands.add(band);
            all.addAll(List.of(band.length(), band.pending(), band.consumers()));
        }
        CompletableFuture<List<String>> time = redis.time().toCompletableFuture();
        CompletableFuture<Long> deadLetters =
                redis.xlen(KeySchema.deadLetters(agent)).toCompletableFuture();
        CompletableFuture<Long> delayed = redis.zcard(KeySchema.delayed(agent)).toCompletableFuture();
        CompletableFuture<Map<String, String>> counters =
                redis.hgetall(KeySchema.counters(agent)).toCompletableFuture();
        all.addAll(List.of(time, deadLetters, delayed, counters));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(done -> {
            long serverMillis = Long.parseLong(time.join().get(0)) * 1000
                    + Long.parseLong(time.join().get(1)) / 1000;
            long length = 0;
            long pending = 0;
            boolean groupExists = false;
            Optional<Duration> oldestAge = Optional.empty();
            Map<String, InboxStats.ConsumerStats> consumers = new LinkedHashMap<>();
            for (Band band : bands) {
                length += band.length().join();
                PendingMessages summary = band.pending().join();
                if (summary == null) {
                    continue;
                }
                groupExists = true;
                pending += summary.getCount();
                if (summary.getCount() > 0
                        && summary.getMessageIds() != null
                        && summary.getMessageIds().getLower().getValue() != null) {
                    Duration age = Duration.ofMillis(Math.max(
                            0,
                            serverMillis
                                    - entryMillis(
                                            summary.getMessageIds().getLower().getValue())));
                    oldestAge = oldestAge
                            .filter(current -> current.compareTo(age) >= 0)
                            .or(() -> Optional.of(age));
                }
                for (InboxStats.ConsumerStats consumer :
                        consumerStats(band.consumers().join())) {
                    consumers.merge(
                            consumer.name(),
                            consumer,
                            (a, b) -> new InboxStats.ConsumerStats(
                                    a.name(),
                                    a.pending() + b.pending(),
                                    a.idle().compareTo(b.idle()) <= 0 ? a.idle() : b.idle()));
                }
            }
            return new InboxStats(
                    agent,
                    length,
                    pending,
                    List.copyOf(consumers.values()),
                    oldestAge,
                    groupExists,
                    deadLetters.join(),
                    delayed.join(),
                    counters(counters.join()));
        });
    }

    /** XINFO CONSUMERS replies, per consumer, a flat list of alternating names and values. */
    static List<InboxStats.ConsumerStats> consumerStats(List<Object> reply) {
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
            stats.add(new InboxStats.ConsumerStats(name, pending, Duration.ofMillis(idleMillis)));
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
