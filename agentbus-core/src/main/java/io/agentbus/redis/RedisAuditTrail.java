package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.audit.AuditTrail;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Reads the audit trail by merging its shards: the shard index {@code audit:shards} names every hash
 * tag with records; each shard is read newest first, filtered, and the results merged by time.
 */
final class RedisAuditTrail implements AuditTrail {

    private static final int SCAN_PER_SHARD = 10_000;
    /** The fields that name agents: a replay moves them into the sandbox namespace. */
    private static final Set<String> SANDBOXED =
            Set.of(WireFields.FROM_AGENT, WireFields.TO_AGENT, WireFields.REPLY_TO);

    private final AgentBus bus;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final BusOptions options;

    /** {@code bus} sends what a replay re-sends. */
    RedisAuditTrail(AgentBus bus, RedisClusterAsyncCommands<String, String> commands, BusOptions options) {
        this.bus = bus;
        this.commands = commands;
        this.options = options;
    }

    @Override
    public CompletionStage<String> decision(AgentId agent, String decision, Map<String, String> details) {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(decision, "decision");
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.AUDIT_EVENT, "decision");
        fields.put(WireFields.AUDIT_DECISION, decision);
        fields.put(WireFields.FROM_AGENT, agent.value());
        fields.putAll(details);
        String tag = agent.value();
        long cap = Math.max(1, options.auditCap());
        // The shard is listed before the record is written, and a failure of either fails the decision:
        // a record written but not listed (the index is on another master of a cluster) would never be read,
        // and a caller that tries again after a failed listing writes the record once.
        return RedisErrors.mapped(
                commands.sadd(KeySchema.AUDIT_SHARDS, tag)
                        .thenCompose(listed -> commands.xadd(
                                KeySchema.auditDecisions(tag),
                                XAddArgs.Builder.maxlen(cap).approximateTrimming(),
                                fields)),
                "record a decision of " + agent);
    }

    @Override
    public List<AuditEntry> tail(AuditQuery query, int limit) {
        return read(query, Map.of(), limit);
    }

    @Override
    public List<AuditEntry> after(AuditQuery query, Map<String, String> afterIdByShard, int limit) {
        return read(query, afterIdByShard, limit);
    }

    private List<AuditEntry> read(AuditQuery query, Map<String, String> afterIdByShard, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        List<String> tags = query.agent()
                .map(agent -> List.of(agent.value()))
                .orElseGet(() -> List.copyOf(await(commands.smembers(KeySchema.AUDIT_SHARDS), "list audit shards")));
        List<AuditEntry> matching = new ArrayList<>();
        for (String tag : tags) {
            for (String shard : List.of(KeySchema.auditMessages(tag), KeySchema.auditDecisions(tag))) {
                String after = afterIdByShard.get(shard);
                Range<String> range = after == null ? Range.create("-", "+") : Range.create("(" + after, "+");
                List<StreamMessage<String, String>> newestFirst =
                        await(commands.xrevrange(shard, range, Limit.from(SCAN_PER_SHARD)), "read " + shard);
                for (StreamMessage<String, String> record : newestFirst) {
                    AuditEntry entry = new AuditEntry(
                            record.getId(),
                            Instant.ofEpochMilli(millis(record.getId())),
                            record.getBody().getOrDefault(WireFields.AUDIT_EVENT, "unknown"),
                            tag,
                            record.getBody());
                    if (query.matches(entry)) {
                        matching.add(entry);
                    }
                }
            }
        }
        matching.sort(Comparator.comparing(AuditEntry::at).thenComparing(AuditEntry::id));
        return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
    }

    @Override
    public int replay(String conversationId, String namespace) {
        Objects.requireNonNull(conversationId, "conversationId");
        AgentId.of(namespace + ".x"); // the namespace must keep agent ids valid
        int sent = 0;
        for (AuditEntry record : read(AuditQuery.all().conversation(conversationId), Map.of(), Integer.MAX_VALUE)) {
            if (!record.event().equals("sent")) {
                continue;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            record.fields().forEach((name, value) -> {
                if (!name.startsWith(WireFields.AUDIT_PREFIX)) {
                    fields.put(name, SANDBOXED.contains(name) ? namespace + "." + value : value);
                }
            });
            if (EnvelopeCodec.decodeText(fields) instanceof EnvelopeCodec.Valid valid) {
                await(bus.send(valid.envelope()), "replay " + valid.envelope().messageId() + " into " + namespace);
                sent++;
            }
        }
        return sent;
    }

    private <T> T await(CompletionStage<T> stage, String action) {
        return Await.result(stage, options.connection().commandTimeout().toMillis(), action);
    }

    private static long millis(String entryId) {
        return Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
    }
}
