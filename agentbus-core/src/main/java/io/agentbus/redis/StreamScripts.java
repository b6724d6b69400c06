package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Retention;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.Consumer;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every step that changes a consumed stream's state on the server: creating its group and consumer,
 * and settling its entries (ack, retry later, dead letter, hand back, lease extension, reclaim, trim,
 * moving due delayed messages, releasing a consumer). Each multi-key step is one Lua script, so it is
 * atomic; the scripts' headers state their KEYS, ARGV and replies.
 *
 * <p>Everything runs on the shared command connection (none of it blocks), except {@link #claim}
 * and {@link #read}, which run on the calling reader's own connection so that their bulky replies stay
 * off the path of sends and acks.
 *
 * <p>Bytes bound what a reader takes, not only counts: {@link #read} and {@link #claim} stop at a byte
 * budget, and an entry larger than {@link #largestEntryBytes()} is never sent to the JVM at all: they
 * report its id and size, and it goes to dead letters ({@code too_large}) server-side.
 */
final class StreamScripts {

    private static final Logger log = LoggerFactory.getLogger(StreamScripts.class);
    private static final LuaScript DEAD_LETTER = LuaScript.load("dead_letter.lua");
    private static final LuaScript RETRY_LATER = LuaScript.load("retry_later.lua");
    private static final LuaScript ACK = LuaScript.load("ack.lua");
    private static final LuaScript EXTEND_LEASE = LuaScript.load("extend_lease.lua");
    private static final LuaScript RELEASE_CONSUMER = LuaScript.load("release_consumer.lua");
    private static final LuaScript TEMPORARY_AGENT = LuaScript.load("temporary_agent.lua");
    private static final LuaScript TRIM = LuaScript.load("trim.lua");
    private static final LuaScript MOVE_DUE = LuaScript.load("move_due.lua");
    private static final LuaScript CLAIM = LuaScript.load("claim.lua");
    private static final LuaScript READ = LuaScript.load("read.lua");
    /**
     * What an entry may hold besides its payload (ids, type, timestamps, trace context) before a reader
     * treats it as too large: generous, since every other field is short by the protocol's rules.
     */
    private static final int ENVELOPE_ALLOWANCE_BYTES = 64 * 1024;

    private static final int MOVE_BATCH = 100;
    /**
     * Publishes through one durable topic handle, or acks of one stream by one instance, between two
     * trims: often enough to keep a stream near its retention, rarely enough to cost nothing.
     */
    static final int TRIM_EVERY = 1_000;

    private final RedisLink<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final BusOptions options;
    private final BusMetrics metrics;
    private final Set<String> knownAuditShards = ConcurrentHashMap.newKeySet();

    StreamScripts(RedisLink<String, String> connection, BusOptions options, BusMetrics metrics) {
        this.connection = connection;
        this.commands = connection.async();
        this.options = options;
        this.metrics = metrics;
    }

    /**
     * Creates the stream and its consumer group (reading from the stream's start id) if missing, and
     * registers the consumer, so that a running instance shows in XINFO CONSUMERS before it has
     * received anything (a blocked XREADGROUP does not register it on every server version).
     */
    void ensureConsumer(ConsumedStream stream, String consumer) {
        createGroup(stream);
        try {
            connection.sync().xgroupCreateconsumer(stream.key(), Consumer.from(stream.group(), consumer));
        } catch (RuntimeException e) {
            if (RedisErrors.hasErrorCode(e, "OOM")) {
                log.warn("{} is out of memory: {} is registered by its first read instead", stream, consumer);
                return;
            }
            throw RedisErrors.map(e, "register consumer " + consumer + " of " + stream);
        }
    }

    /**
     * Creates the group of a stream that was read before and whose group is gone ({@code NOGROUP}): the
     * group was destroyed ({@code XGROUP DESTROY}) or the key deleted. The new group starts at the stream's
     * first entry, so whatever the stream retains is delivered again, as attempt 1: that replay is told
     * (a WARN naming how many entries, and {@code consumer_group_recreations_total}) rather than silent.
     */
    void recreateConsumer(ConsumedStream stream, String consumer) {
        long retained = Await.result(
                commands.xlen(stream.key()),
                options.connection().commandTimeout().toMillis(),
                "length of " + stream);
        boolean created = createGroup(stream);
        ensureConsumer(stream, consumer);
        if (!created) {
            return; // another instance created it again first, or it was never gone
        }
        metrics.groupRecreated(stream.subscriber());
        log.warn(
                "the group of {} was gone (XGROUP DESTROY, or the key deleted) and is created again from the first"
                        + " entry: its {} retained entries are delivered again, as attempt 1",
                stream,
                retained);
    }

    /** Creates the stream's group if it has none; true if it created it. */
    private boolean createGroup(ConsumedStream stream) {
        try {
            connection
                    .sync()
                    .xgroupCreate(
                            XReadArgs.StreamOffset.from(stream.key(), stream.startId()),
                            stream.group(),
                            XGroupCreateArgs.Builder.mkstream());
            return true;
        } catch (RuntimeException e) {
            if (RedisErrors.hasErrorCode(e, "OOM") && groupExists(stream)) {
                // Redis refuses writes (maxmemory, noeviction): the group is there, and reading and acking
                // are allowed, so this instance can still drain the backlog that would relieve it. The
                // consumer is registered by its first read instead.
                log.warn("{} is out of memory: its existing group is read without registering first", stream);
                return false;
            }
            if (!RedisErrors.hasErrorCode(e, "BUSYGROUP")) {
                throw RedisErrors.map(e, "create consumer group of " + stream);
            }
            return false;
        }
    }

    /** Whether the stream has its group: XPENDING, a read Redis allows under OOM, fails with NOGROUP if not. */
    private boolean groupExists(ConsumedStream stream) {
        try {
            connection.sync().xpending(stream.key(), stream.group());
            return true;
        } catch (RuntimeException e) {
            return false; // no such group or stream, or no answer: the OOM refusal stands
        }
    }

    CompletionStage<String> deadLetter(
            ConsumedStream stream,
            String entryId,
            DeadLetterReason reason,
            String field,
            String detail,
            String consumer,
            int attempts) {
        CompletionStage<String> moved = DEAD_LETTER.run(
                commands,
                ScriptOutputType.VALUE,
                new String[] {
                    stream.key(),
                    stream.deadLetters(),
                    stream.failures(),
                    auditShard(stream.key()),
                    KeySchema.counters(stream.key())
                },
                stream.group(),
                entryId,
                reason.code(),
                field == null ? "" : field,
                detail,
                consumer,
                Long.toString(System.currentTimeMillis()),
                Integer.toString(attempts),
                Long.toString(options.auditCap()));
        return moved.thenApply(deadLetterId -> {
            if (deadLetterId != null && reason != DeadLetterReason.EXPIRED) {
                metrics.deadLettered(stream.subscriber()); // an expired one is counted as expired
            }
            if (deadLetterId != null && reason == DeadLetterReason.BAD_SIGNATURE) {
                metrics.badSignature(stream.subscriber());
            }
            return deadLetterId;
        });
    }

    CompletionStage<Long> retryLater(
            ConsumedStream stream, String consumer, String entryId, long idleMillis, int attempt, String why) {
        CompletionStage<Long> scheduled = RETRY_LATER.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {
                    stream.key(), stream.failures(), auditShard(stream.key()), KeySchema.counters(stream.key())
                },
                stream.group(),
                consumer,
                entryId,
                Long.toString(idleMillis),
                Long.toString(System.currentTimeMillis()),
                Long.toString(options.auditCap()),
                Integer.toString(attempt),
                why);
        return scheduled.thenApply(count -> {
            if (count == 1) {
                metrics.retried(stream.subscriber());
            }
            return count;
        });
    }

    /** An entry to acknowledge, with the envelope it held: its audit record is written from it. */
    record HandledEntry(String entryId, Envelope envelope) {}

    /**
     * Acknowledges {@code entries} and records them in the audit trail, in one script (ack.lua). The
     * audit record's fields are passed from the envelopes in hand rather than read back from the
     * stream: an XRANGE per message would cost the server more than the ack itself.
     */
    CompletionStage<Long> ack(ConsumedStream stream, String consumer, List<HandledEntry> entries) {
        int count = entries.size();
        boolean audited = options.auditCap() > 0;
        String[] args = new String[4 + count + (audited ? count * WireFields.AUDITED_FIELDS.size() : 0)];
        args[0] = stream.group();
        args[1] = consumer;
        args[2] = Long.toString(options.auditCap());
        args[3] = Integer.toString(count);
        int next = 4 + count;
        for (int i = 0; i < count; i++) {
            HandledEntry entry = entries.get(i);
            args[4 + i] = entry.entryId();
            if (audited) {
                for (String value : EnvelopeCodec.auditedValues(entry.envelope())) {
                    args[next++] = value;
                }
            }
        }
        CompletionStage<Long> acked = ACK.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {stream.key(), auditShard(stream.key()), KeySchema.counters(stream.key())},
                args);
        return acked.thenApply(done -> {
            metrics.acked(stream.subscriber(), done);
            return done;
        });
    }

    /** Forgets an entry's failure record (from an earlier attempt) once it is acked. */
    void forgetFailure(ConsumedStream stream, String entryId) {
        commands.hdel(stream.failures(), entryId);
    }

    /**
     * The audit shard of a stream's records, in the stream's slot. The first use of a shard by this
     * process adds its tag to the shard index (once, not per message), so that reads can merge shards.
     * A failed SADD is forgotten, so the next use writes it again: on a cluster the index lives on
     * another master than the shard, and one lost SADD would hide the shard from every read. A SADD the
     * ACL refuses is not tried again (a per-agent user: its senders index the shard).
     */
    String auditShard(String streamKey) {
        String tag = KeySchema.hashTag(streamKey);
        if (options.auditCap() > 0 && knownAuditShards.add(tag)) {
            commands.sadd(KeySchema.AUDIT_SHARDS, tag).whenComplete((added, failure) -> {
                if (failure != null && RedisErrors.isPermissionDenied(failure)) {
                    // A per-agent ACL user (docs/SECURITY.md) may not write the shared index: whoever sends
                    // to the agent indexes its shard. Trying on every record would only fill ACL LOG.
                    log.warn(
                            "the ACL user may not write {}: audit shard {} is left to be indexed by its senders,"
                                    + " and this process does not try again",
                            KeySchema.AUDIT_SHARDS,
                            tag);
                } else if (failure != null) {
                    knownAuditShards.remove(tag);
                    log.warn(
                            "could not list audit shard {} in {}; its next record tries again: {}",
                            tag,
                            KeySchema.AUDIT_SHARDS,
                            failure.toString());
                }
            });
        }
        return KeySchema.auditMessages(tag);
    }

    /** Makes entries of this consumer reclaimable by any instance now, without counting a failure. */
    CompletionStage<List<String>> handBack(
            ConsumedStream stream, String consumer, List<String> entryIds, Duration visibility) {
        return commands.xclaim(
                        stream.key(),
                        Consumer.from(stream.group(), consumer),
                        XClaimArgs.Builder.minIdleTime(0).idle(visibility).justid(),
                        entryIds.toArray(String[]::new))
                .thenApply(claimed -> entryIds);
    }

    /** Extends the leases of {@code entryIds} this consumer still owns; completes with the ids it lost. */
    CompletionStage<List<String>> extendLeases(ConsumedStream stream, String consumer, List<String> entryIds) {
        String[] args = new String[2 + entryIds.size()];
        args[0] = stream.group();
        args[1] = consumer;
        for (int i = 0; i < entryIds.size(); i++) {
            args[i + 2] = entryIds.get(i);
        }
        CompletionStage<List<Object>> lost =
                EXTEND_LEASE.run(commands, ScriptOutputType.MULTI, new String[] {stream.key()}, args);
        return lost.thenApply(ids -> ids.stream().map(String::valueOf).toList());
    }

    /** Trims {@code stream} per {@code retention}, never past what a group has not received or holds (trim.lua). */
    CompletionStage<Long> trim(String stream, Retention retention) {
        return TRIM.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {stream},
                Long.toString(retention.maxLength()),
                Long.toString(retention.maxAge().toMillis()));
    }

    /**
     * Removes the consumers of {@code stream} other than {@code self} that hold nothing pending and were
     * idle longer than {@code deadAfter}: instances that ended without closing (SIGKILL, a crash), which
     * would otherwise be listed for ever. Each removal re-checks atomically that nothing is pending
     * ({@link #releaseConsumer}), so a consumer that read meanwhile keeps what it read.
     *
     * @return how many were removed
     */
    long sweepConsumers(ConsumedStream stream, String self, Duration deadAfter) {
        long timeout = options.connection().commandTimeout().toMillis();
        List<Object> reply = Await.result(
                commands.xinfoConsumers(stream.key(), stream.group()), timeout, "list the consumers of " + stream);
        long removed = 0;
        // Live here means idle no longer than deadAfter: this sweep does not consult the heartbeats.
        for (InboxStats.ConsumerStats consumer : InboxInspection.consumerStats(reply, Set.of(), deadAfter)) {
            if (!consumer.name().equals(self) && consumer.pending() == 0 && !consumer.live()) {
                removed += Await.result(
                        releaseConsumer(stream, consumer.name()), timeout, "remove consumer " + consumer.name());
            }
        }
        return removed;
    }

    /**
     * Sets every key of the temporary {@code agent} to expire {@code ttl} ahead (temporary_agent.lua),
     * or, with {@link Duration#ZERO}, deletes them; completes with how many keys it touched.
     */
    CompletionStage<Long> expireTemporary(AgentId agent, Duration ttl) {
        List<String> keys = new ArrayList<>();
        keys.add(KeySchema.counters(agent)); // first: the script creates it if absent
        for (ConsumedStream band : ConsumedStream.inboxBands(agent)) {
            keys.add(band.key());
            keys.add(band.failures());
        }
        keys.add(KeySchema.instances(agent));
        keys.add(KeySchema.delayed(agent));
        keys.add(KeySchema.deadLetters(agent));
        keys.add(KeySchema.card(agent));
        return RedisErrors.mapped(
                TEMPORARY_AGENT.run(
                        commands, ScriptOutputType.INTEGER, keys.toArray(String[]::new), Long.toString(ttl.toMillis())),
                (ttl.isZero() ? "delete the keys of " : "expire the keys of ") + agent);
    }

    CompletionStage<Long> releaseConsumer(ConsumedStream stream, String consumer) {
        return RELEASE_CONSUMER.run(
                commands, ScriptOutputType.INTEGER, new String[] {stream.key()}, stream.group(), consumer);
    }

    /**
     * Moves due delayed messages of {@code agent} into its inbox (move_due.lua), and members that are not
     * messages to its dead letters; completes with the milliseconds until the next is due, or -1 if
     * none waits.
     */
    CompletionStage<Long> moveDue(AgentId agent) {
        CompletionStage<List<Object>> moved = MOVE_DUE.run(
                commands,
                ScriptOutputType.MULTI,
                new String[] {
                    KeySchema.delayed(agent),
                    PriorityBand.HIGH.inbox(agent),
                    PriorityBand.NORMAL.inbox(agent),
                    PriorityBand.LOW.inbox(agent),
                    KeySchema.deadLetters(agent),
                    KeySchema.counters(agent)
                },
                Integer.toString(MOVE_BATCH),
                Long.toString(System.currentTimeMillis()));
        return moved.thenApply(reply -> {
            long deadLettered = (Long) reply.get(2);
            if (deadLettered > 0) {
                log.warn(
                        "{} members of {} were not messages (not a JSON object of fields); moved to {}",
                        deadLettered,
                        KeySchema.delayed(agent),
                        KeySchema.deadLetters(agent));
                for (long i = 0; i < deadLettered; i++) {
                    metrics.deadLettered(agent);
                }
            }
            return (Long) reply.get(0) == MOVE_BATCH ? 0L : (Long) reply.get(1);
        });
    }

    /**
     * An entry read or claimed: its id, its delivery count (the attempt it is), its fields, and the first
     * field name it has more than once (null if none), which makes it ambiguous: a map keeps one value.
     */
    record TakenEntry(String id, int deliveries, Map<String, byte[]> body, String repeatedField) {

        /** Its size as a reader holds it: names and values. */
        long bytes() {
            long size = 0;
            for (Map.Entry<String, byte[]> field : body.entrySet()) {
                size += field.getKey().length() + field.getValue().length;
            }
            return size;
        }
    }

    /** An entry read or claimed whose size is over {@link #largestEntryBytes()}: pending, not sent, for dead letters. */
    record TooLarge(String id, int deliveries, long bytes) {}

    /** What one read or claim step took. */
    record Taken(List<TakenEntry> entries, List<TooLarge> tooLarge) {}

    /** One step of a {@code claim.lua} walk: where to go on ({@code 0-0} when done) and what it claimed. */
    record Claimed(String cursor, long deleted, Taken taken) {}

    /**
     * The largest entry a reader takes whole: the payload limit plus room for the other fields. A larger
     * one cannot be a valid message of this bus, and holding it could exhaust the reader's heap.
     */
    long largestEntryBytes() {
        return (long) options.send().maxPayloadBytes() + ENVELOPE_ALLOWANCE_BYTES;
    }

    /**
     * Reads never-delivered entries of {@code stream} as {@code consumer} ({@code read.lua}), at most
     * {@code count} and about {@code byteBudget} bytes (the entry that crosses the budget is the last),
     * without blocking, on {@code readConnection} (the reader's own).
     */
    CompletionStage<Taken> read(
            RedisLink<String, byte[]> readConnection,
            ConsumedStream stream,
            String consumer,
            int count,
            long byteBudget) {
        CompletionStage<List<Object>> reply = READ.run(
                readConnection.async(),
                ScriptOutputType.MULTI,
                new String[] {stream.key()},
                bytes(stream.group()),
                bytes(consumer),
                bytes(Integer.toString(count)),
                bytes(Long.toString(Math.max(1, byteBudget))),
                bytes(Long.toString(largestEntryBytes())));
        return reply.thenApply(parts -> taken(parts.get(0), parts.get(1)));
    }

    /**
     * Runs one step of a claim walk of {@code stream} on {@code readConnection} (the reader's own):
     * entries idle longer than {@code minIdle} ({@code ownOnly} false), or {@code consumer}'s own
     * pending entries; at most {@code count} and about {@code byteBudget} bytes.
     */
    Claimed claim(
            RedisLink<String, byte[]> readConnection,
            ConsumedStream stream,
            String consumer,
            boolean ownOnly,
            String cursor,
            Duration minIdle,
            int count,
            long byteBudget) {
        List<Object> reply = Await.result(
                CLAIM.<String, byte[], List<Object>>run(
                        readConnection.async(),
                        ScriptOutputType.MULTI,
                        new String[] {stream.key()},
                        bytes(stream.group()),
                        bytes(consumer),
                        bytes(ownOnly ? "own" : "idle"),
                        bytes(cursor),
                        bytes(Integer.toString(count)),
                        bytes(Long.toString(minIdle.toMillis())),
                        bytes(Long.toString(Math.max(1, byteBudget))),
                        bytes(Long.toString(largestEntryBytes()))),
                options.connection().commandTimeout().toMillis(),
                "claim pending entries of " + stream.key());
        return new Claimed(text(reply.get(0)), (Long) reply.get(1), taken(reply.get(2), reply.get(3)));
    }

    /** The entries ({@code {id, deliveries, {field, value, ...}}}) and too large ones ({@code {id, deliveries, bytes}}) of a reply. */
    private static Taken taken(Object entriesReply, Object tooLargeReply) {
        List<TakenEntry> entries = new ArrayList<>();
        for (Object item : (List<?>) entriesReply) {
            List<?> entry = (List<?>) item;
            entries.add(entry(text(entry.get(0)), ((Long) entry.get(1)).intValue(), (List<?>) entry.get(2)));
        }
        List<TooLarge> tooLarge = new ArrayList<>();
        for (Object item : (List<?>) tooLargeReply) {
            List<?> entry = (List<?>) item;
            tooLarge.add(new TooLarge(text(entry.get(0)), ((Long) entry.get(1)).intValue(), (Long) entry.get(2)));
        }
        return new Taken(entries, tooLarge);
    }

    /**
     * The entries of a raw {@code XREADGROUP} reply, by stream, with every field as sent (Lettuce's own
     * parsing would keep one value of a repeated field). RESP2 answers {@code [[key, entries], ...]};
     * RESP3 answers a map, which arrives as {@code [key, entries, key, entries, ...]}.
     */
    static Map<String, List<TakenEntry>> readReply(List<Object> reply) {
        Map<String, List<TakenEntry>> byStream = new LinkedHashMap<>();
        boolean resp3 = !reply.isEmpty() && reply.get(0) instanceof byte[];
        List<?> pairs = resp3
                ? reply
                : reply.stream() // a timeout answers one null
                        .filter(Objects::nonNull)
                        .flatMap(pair -> ((List<?>) pair).stream())
                        .toList();
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            List<TakenEntry> entries = new ArrayList<>();
            for (Object item : (List<?>) pairs.get(i + 1)) {
                List<?> entry = (List<?>) item;
                if (entry.get(1) instanceof List<?> fields) { // null: deleted while pending
                    entries.add(entry(text(entry.get(0)), 1, fields));
                }
            }
            byStream.put(text(pairs.get(i)), entries);
        }
        return byStream;
    }

    /** An entry from its id, delivery count and {@code field, value, ...} list. */
    private static TakenEntry entry(String id, int deliveries, List<?> flat) {
        Map<String, byte[]> body = new LinkedHashMap<>();
        String repeated = null;
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String name = text(flat.get(i));
            if (body.put(name, (byte[]) flat.get(i + 1)) != null && repeated == null) {
                repeated = name;
            }
        }
        return new TakenEntry(id, deliveries, body, repeated);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object bulk) {
        return new String((byte[]) bulk, StandardCharsets.UTF_8);
    }
}
