package io.agentbus.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * {@link DeadLetters} on a dead-letter stream ({@code agent:{id}:dlq}, or a topic group's); see
 * docs/PROTOCOL.md for its entry format. A redrive appends to the stream the entries came from.
 */
final class RedisDeadLetters implements DeadLetters {

    private static final LuaScript REDRIVE = LuaScript.load("redrive.lua");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENTRY_ID = Pattern.compile("\\d+-\\d+");
    private static final int BATCH = 200;

    private final RedisClusterAsyncCommands<String, String> commands;
    private final StreamScripts scripts;
    private final BusOptions options;
    private final AgentId agent;
    private final String key;
    private final List<String> targets;

    RedisDeadLetters(
            ConsumedStream source,
            RedisClusterAsyncCommands<String, String> commands,
            StreamScripts scripts,
            BusOptions options) {
        this.commands = commands;
        this.scripts = scripts;
        this.options = options;
        this.agent = source.subscriber();
        this.key = source.deadLetters();
        // Where a redriven message goes, by its priority: an inbox's high, normal and low bands, or
        // the one stream of a topic.
        this.targets = KeySchema.INBOX_GROUP.equals(source.group())
                ? List.of(
                        PriorityBand.HIGH.inbox(agent), PriorityBand.NORMAL.inbox(agent), PriorityBand.LOW.inbox(agent))
                : List.of(source.key(), source.key(), source.key());
    }

    @Override
    public AgentId agent() {
        return agent;
    }

    @Override
    public long count() {
        return await(commands.xlen(key), "count dead letters");
    }

    @Override
    public List<DeadLetter> list(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return page(Range.create("-", "+"), limit).stream()
                .map(this::toDeadLetter)
                .toList();
    }

    @Override
    public Optional<DeadLetter> find(String id) {
        if (ENTRY_ID.matcher(id).matches()) {
            List<StreamMessage<String, String>> entry = page(Range.create(id, id), 1);
            if (!entry.isEmpty()) {
                return Optional.of(toDeadLetter(entry.get(0)));
            }
        }
        // Not an entry id: look for a message id, page by page.
        String from = "-";
        while (true) {
            List<StreamMessage<String, String>> page = page(Range.create(from, "+"), BATCH);
            for (StreamMessage<String, String> entry : page) {
                if (id.equals(entry.getBody().get(WireFields.MESSAGE_ID))) {
                    return Optional.of(toDeadLetter(entry));
                }
            }
            if (page.size() < BATCH) {
                return Optional.empty();
            }
            from = "(" + page.get(page.size() - 1).getId();
        }
    }

    @Override
    public long redrive(List<String> ids) {
        // Only dead-letter entry ids can be dead letters; anything else (a message id) is skipped.
        List<String> entryIds =
                ids.stream().filter(id -> ENTRY_ID.matcher(id).matches()).toList();
        long moved = 0;
        for (int from = 0; from < entryIds.size(); from += BATCH) {
            List<String> batch = entryIds.subList(from, Math.min(entryIds.size(), from + BATCH));
            moved += redriveBatch(batch.toArray(String[]::new));
        }
        return moved;
    }

    @Override
    public long redriveAll(LongConsumer progress) {
        // Only what is there now: a message that fails again after its redrive is not redriven twice.
        List<StreamMessage<String, String>> newest =
                await(commands.xrevrange(key, Range.create("-", "+"), Limit.from(1)), "find newest dead letter");
        if (newest.isEmpty()) {
            return 0;
        }
        String last = newest.get(0).getId();
        long moved = 0;
        while (true) {
            List<StreamMessage<String, String>> page = page(Range.create("-", last), BATCH);
            if (page.isEmpty()) {
                return moved;
            }
            moved += redriveBatch(page.stream().map(StreamMessage::getId).toArray(String[]::new));
            progress.accept(moved);
        }
    }

    @Override
    public long purge() {
        return await(commands.xtrim(key, XTrimArgs.Builder.maxlen(0)), "purge dead letters");
    }

    @Override
    public long purgeOlderThan(Duration age) {
        List<String> time = await(commands.time(), "read server time");
        long nowMillis = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        // A dead letter's entry id is the time it was dead-lettered, on the server's clock.
        String minId = Math.max(0, nowMillis - age.toMillis()) + "-0";
        return await(commands.xtrim(key, XTrimArgs.Builder.minId(minId)), "purge dead letters older than " + age);
    }

    private long redriveBatch(String[] ids) {
        String[] args = new String[1 + ids.length];
        args[0] = Long.toString(options.auditCap());
        System.arraycopy(ids, 0, args, 1, ids.length);
        CompletionStage<Long> moved = REDRIVE.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {
                    key,
                    targets.get(0),
                    targets.get(1),
                    targets.get(2),
                    scripts.auditShard(key),
                    KeySchema.counters(key)
                },
                args);
        return await(moved, "redrive dead letters");
    }

    private List<StreamMessage<String, String>> page(Range<String> range, int limit) {
        return await(commands.xrange(key, range, Limit.from(limit)), "read dead letters");
    }

    /** The fields past the first 1,000 of a very wide entry: dead_letter.lua keeps them as a JSON array. */
    private static Map<String, String> overflow(String json) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (json == null) {
            return fields;
        }
        try {
            JsonNode pairs = JSON.readTree(json);
            for (int i = 0; i + 1 < pairs.size(); i += 2) {
                fields.put(pairs.get(i).asText(), pairs.get(i + 1).asText());
            }
        } catch (JsonProcessingException e) {
            fields.put(WireFields.DLQ_OVERFLOW, json); // shown as it is rather than dropped
        }
        return fields;
    }

    private DeadLetter toDeadLetter(StreamMessage<String, String> entry) {
        Map<String, String> original = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        entry.getBody()
                .forEach((name, value) -> (name.startsWith(WireFields.DLQ_PREFIX) ? meta : original).put(name, value));
        original.putAll(overflow(meta.get(WireFields.DLQ_OVERFLOW)));
        Optional<Envelope> envelope =
                EnvelopeCodec.decodeText(new LinkedHashMap<>(original)) instanceof EnvelopeCodec.Valid valid
                        ? Optional.of(valid.envelope())
                        : Optional.empty();
        String field = meta.getOrDefault(WireFields.DLQ_FIELD, "");
        return new DeadLetter(
                entry.getId(),
                agent,
                envelope,
                original,
                DeadLetterReason.fromCode(meta.get(WireFields.DLQ_REASON)).orElse(DeadLetterReason.INVALID_FIELD),
                meta.getOrDefault(WireFields.DLQ_DETAIL, ""),
                field.isEmpty() ? Optional.empty() : Optional.of(field),
                parseInt(meta.get(WireFields.DLQ_ATTEMPTS)),
                millis(meta.getOrDefault(WireFields.DLQ_FIRST_FAILED_AT, meta.get(WireFields.DLQ_FAILED_AT))),
                millis(meta.get(WireFields.DLQ_FAILED_AT)),
                meta.getOrDefault(WireFields.DLQ_CONSUMER, ""),
                meta.getOrDefault(WireFields.DLQ_SOURCE_ID, ""));
    }

    private <T> T await(CompletionStage<T> stage, String action) {
        return Await.result(stage, options.connection().commandTimeout().toMillis(), action + " of " + agent);
    }

    private static int parseInt(String text) {
        try {
            return text == null ? 0 : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Instant millis(String text) {
        try {
            return text == null ? Instant.EPOCH : Instant.ofEpochMilli(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return Instant.EPOCH;
        }
    }
}
