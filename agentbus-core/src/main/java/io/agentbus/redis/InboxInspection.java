package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads an inbox's figures in one pipelined round: XLEN, XPENDING (summary), XINFO CONSUMERS, TIME
 * (ages are computed against the server's clock, not this machine's), and the sizes of the agent's
 * dead letters and delayed set.
 */
final class InboxInspection {

    private InboxInspection() {
    }

    static CompletionStage<InboxStats> of(RedisAsyncCommands<String, String> redis, AgentId agent) {
        String inbox = KeySchema.inbox(agent);
        CompletableFuture<Long> length = redis.xlen(inbox).toCompletableFuture();
        CompletableFuture<PendingMessages> pending =
                orNullWithoutGroup(redis.xpending(inbox, KeySchema.INBOX_GROUP));
        CompletableFuture<List<Object>> consumers =
                orNullWithoutGroup(redis.xinfoConsumers(inbox, KeySchema.INBOX_GROUP));
        CompletableFuture<List<String>> time = redis.time().toCompletableFuture();
        CompletableFuture<Long> deadLetters = redis.xlen(KeySchema.deadLetters(agent)).toCompletableFuture();
        CompletableFuture<Long> delayed = redis.zcard(KeySchema.delayed(agent)).toCompletableFuture();
        return CompletableFuture.allOf(length, pending, consumers, time, deadLetters, delayed).thenApply(all -> {
            PendingMessages summary = pending.join();
            if (summary == null) {
                return new InboxStats(agent, length.join(), 0, List.of(), Optional.empty(), false,
                        deadLetters.join(), delayed.join());
            }
            long serverMillis = Long.parseLong(time.join().get(0)) * 1000 + Long.parseLong(time.join().get(1)) / 1000;
            Optional<Duration> oldestAge = Optional.ofNullable(summary.getMessageIds())
                    .flatMap(range -> Optional.ofNullable(range.getLower().getValue()))
                    .map(id -> Duration.ofMillis(Math.max(0, serverMillis - entryMillis(id))));
            return new InboxStats(agent, length.join(), summary.getCount(), consumerStats(consumers.join()),
                    summary.getCount() == 0 ? Optional.empty() : oldestAge, true, deadLetters.join(), delayed.join());
        });
    }

    /** XINFO CONSUMERS replies, per consumer, a flat list of alternating names and values. */
    private static List<InboxStats.ConsumerStats> consumerStats(List<Object> reply) {
        List<InboxStats.ConsumerStats> stats = new ArrayList<>();
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
                    default -> { }
                }
            }
            stats.add(new InboxStats.ConsumerStats(name, pending, Duration.ofMillis(idleMillis)));
        }
        return stats;
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
            if (RedisErrors.hasErrorCode(failure, "NOGROUP") || RedisErrors.hasErrorCode(failure, "ERR no such key")) {
                return (T) null;
            }
            throw RedisErrors.map(failure, "inspect inbox");
        }).toCompletableFuture();
    }
}
