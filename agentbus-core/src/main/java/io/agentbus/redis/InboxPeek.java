package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.InboxEnd;
import io.agentbus.PendingEntry;
import io.agentbus.StoredEntry;
import io.agentbus.protocol.KeySchema;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Reads an inbox without consuming it, in one pipelined round over its priority bands: the oldest or newest
 * entries ({@code XRANGE}/{@code XREVRANGE}) with the group's last-delivered id ({@code XINFO GROUPS}) that
 * tells which are unread, or the pending entries ({@code XPENDING} with a range). None of these commands
 * creates a key or moves a group's position. Every key is the agent's, in one hash slot, so on a cluster the
 * whole round goes to that slot's master. Each band gives up to {@code limit} entries; merged by entry id
 * (the append time, so across bands too; see {@link #merged}), the first {@code limit} are returned.
 */
final class InboxPeek {

    private static final Comparator<String> BY_ENTRY_ID =
            Comparator.comparingLong((String id) -> part(id, 0)).thenComparingLong(id -> part(id, 1));

    private InboxPeek() {}

    static CompletionStage<List<StoredEntry>> entries(
            RedisClusterAsyncCommands<String, String> redis, AgentId agent, InboxEnd end, int limit) {
        checkLimit(limit);
        List<CompletableFuture<List<StoredEntry>>> bands = new ArrayList<>();
        for (PriorityBand band : PriorityBand.values()) {
            String stream = band.inbox(agent);
            CompletableFuture<Optional<String>> lastDelivered = lastDelivered(redis, stream);
            Range<String> all = Range.create("-", "+");
            CompletionStage<List<StreamMessage<String, String>>> read = end == InboxEnd.OLDEST
                    ? redis.xrange(stream, all, Limit.from(limit))
                    : redis.xrevrange(stream, all, Limit.from(limit));
            bands.add(lastDelivered.thenCombine(
                    read,
                    (last, messages) -> messages.stream()
                            .map(message -> new StoredEntry(
                                    stream,
                                    message.getId(),
                                    message.getBody(),
                                    last.map(id -> BY_ENTRY_ID.compare(message.getId(), id) > 0)
                                            .orElse(true)))
                            .toList()));
        }
        return merged(bands, StoredEntry::entryId, end == InboxEnd.NEWEST, limit);
    }

    static CompletionStage<List<PendingEntry>> pending(
            RedisClusterAsyncCommands<String, String> redis, AgentId agent, int limit) {
        checkLimit(limit);
        List<CompletableFuture<List<PendingEntry>>> bands = new ArrayList<>();
        for (PriorityBand band : PriorityBand.values()) {
            String stream = band.inbox(agent);
            CompletableFuture<List<PendingMessage>> pending = emptyWithoutGroup(
                    redis.xpending(stream, KeySchema.INBOX_GROUP, Range.create("-", "+"), Limit.from(limit)),
                    List.of());
            bands.add(pending.thenApply(messages -> messages.stream()
                    .map(message -> new PendingEntry(
                            stream,
                            message.getId(),
                            message.getConsumer(),
                            Duration.ofMillis(message.getMsSinceLastDelivery()),
                            message.getRedeliveryCount()))
                    .toList()));
        }
        return merged(bands, PendingEntry::entryId, false, limit);
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > AgentBus.MAX_PEEK_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + AgentBus.MAX_PEEK_LIMIT + ", was " + limit);
        }
    }

    /** An entry with the position of its band in {@link PriorityBand#values()} (0: the highest). */
    private record InBand<T>(T entry, String entryId, int band) {}

    /**
     * The first {@code limit} entries of all bands (given highest first) by entry id, oldest or newest first. Ids
     * are {@code <ms>-<seq>} of the append, but the sequence counts per stream: entries of different bands appended
     * in one millisecond have no known order, and are taken lowest band first (oldest first), so that the order is
     * at least the same at every read.
     */
    private static <T> CompletionStage<List<T>> merged(
            List<CompletableFuture<List<T>>> bands, Function<T, String> entryId, boolean newestFirst, int limit) {
        Comparator<InBand<T>> oldestFirst = Comparator.<InBand<T>, String>comparing(InBand::entryId, BY_ENTRY_ID)
                .thenComparing(Comparator.<InBand<T>>comparingInt(InBand::band).reversed());
        return CompletableFuture.allOf(bands.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<InBand<T>> all = new ArrayList<>();
            for (int band = 0; band < bands.size(); band++) {
                for (T entry : bands.get(band).join()) {
                    all.add(new InBand<>(entry, entryId.apply(entry), band));
                }
            }
            return all.stream()
                    .sorted(newestFirst ? oldestFirst.reversed() : oldestFirst)
                    .limit(limit)
                    .map(InBand::entry)
                    .toList();
        });
    }

    /** The id of the last entry delivered to the band's group; empty without a group (or stream). */
    private static CompletableFuture<Optional<String>> lastDelivered(
            RedisClusterAsyncCommands<String, String> redis, String stream) {
        Function<List<Object>, Optional<String>> inboxGroup = groups -> {
            for (Object group : groups) {
                // XINFO GROUPS replies, per group, a flat list of alternating names and values.
                List<?> fields = (List<?>) group;
                Optional<String> name = Optional.empty();
                Optional<String> last = Optional.empty();
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    String value = String.valueOf(fields.get(i + 1));
                    switch (String.valueOf(fields.get(i))) {
                        case "name" -> name = Optional.of(value);
                        case "last-delivered-id" -> last = Optional.of(value);
                        default -> {}
                    }
                }
                if (name.filter(KeySchema.INBOX_GROUP::equals).isPresent()) {
                    return last;
                }
            }
            return Optional.empty();
        };
        return emptyWithoutGroup(redis.xinfoGroups(stream), List.<Object>of()).thenApply(inboxGroup);
    }

    /** {@code stage}'s value, or {@code empty} where the stream or its group does not exist. */
    private static <T> CompletableFuture<T> emptyWithoutGroup(CompletionStage<T> stage, T empty) {
        return stage.handle((value, failure) -> {
                    if (failure == null) {
                        return value;
                    }
                    // NOGROUP: nobody subscribed yet; "no such key": nothing was ever sent either.
                    if (RedisErrors.hasErrorCode(failure, "NOGROUP")
                            || RedisErrors.hasErrorCode(failure, "ERR no such key")) {
                        return empty;
                    }
                    throw RedisErrors.map(failure, "peek inbox");
                })
                .toCompletableFuture();
    }

    /** Part {@code index} (0: milliseconds, 1: sequence) of an entry id {@code <ms>-<seq>}; a bare {@code <ms>} has sequence 0. */
    private static long part(String entryId, int index) {
        int dash = entryId.indexOf('-');
        if (dash < 0) {
            return index == 0 ? Long.parseLong(entryId) : 0;
        }
        return Long.parseLong(index == 0 ? entryId.substring(0, dash) : entryId.substring(dash + 1));
    }
}
