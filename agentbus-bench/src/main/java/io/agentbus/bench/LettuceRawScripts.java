package io.agentbus.bench;

import io.agentbus.BusOptions;
import io.agentbus.SendOptions;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.ProtocolScripts;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * agentbus's send.lua and ack.lua (read from the agentbus-core jar, so the same scripts byte for byte,
 * with the preambles agentbus prepends), loaded on one command connection and called with the keys and
 * arguments agentbus passes with its default options, for the {@code lettuce-raw} rigs. Thread-safe,
 * like the Lettuce connection under it.
 */
final class LettuceRawScripts {

    private static final String AUDIT_CAP = Long.toString(BusOptions.DEFAULT_AUDIT_CAP);

    private final RedisAsyncCommands<String, String> async;
    private final String sendSha;
    private final String ackSha;
    private final Set<String> auditShards = ConcurrentHashMap.newKeySet();

    LettuceRawScripts(StatefulRedisConnection<String, String> commands) {
        this.async = commands.async();
        this.sendSha = commands.sync().scriptLoad(ProtocolScripts.source("send.lua"));
        this.ackSha = commands.sync().scriptLoad(ProtocolScripts.source("ack.lua"));
    }

    /**
     * send.lua: appends {@code fields} to {@code stream} once per message id; {@code requiredGroup} is
     * {@code agentbus} for a request, {@code ""} otherwise, {@code maxLength} 0 for a topic.
     */
    RedisFuture<List<Object>> send(
            String stream, String dedupKey, String requiredGroup, long maxLength, Map<String, String> fields) {
        String[] args = new String[4 + 2 * fields.size()];
        args[0] = Long.toString(SendOptions.DEFAULT_DEDUP_WINDOW.toMillis());
        args[1] = requiredGroup;
        args[2] = Long.toString(maxLength);
        args[3] = AUDIT_CAP;
        int i = 4;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            args[i++] = field.getKey();
            args[i++] = field.getValue();
        }
        return async.evalsha(
                sendSha,
                ScriptOutputType.MULTI,
                new String[] {stream, dedupKey, auditShard(stream), KeySchema.counters(stream)},
                args);
    }

    /**
     * ack.lua: one multi-id XACK of {@code entries}, their audit records and the acked counter; like
     * agentbus, it passes each entry's audited fields (read from the entry in hand) after the ids.
     */
    RedisFuture<Long> ack(String stream, String group, String consumer, List<StreamMessage<String, String>> entries) {
        int count = entries.size();
        String[] args = new String[4 + count + count * WireFields.AUDITED_FIELDS.size()];
        args[0] = group;
        args[1] = consumer;
        args[2] = AUDIT_CAP;
        args[3] = Integer.toString(count);
        int next = 4 + count;
        for (int i = 0; i < count; i++) {
            StreamMessage<String, String> entry = entries.get(i);
            args[4 + i] = entry.getId();
            for (String field : WireFields.AUDITED_FIELDS) {
                args[next++] = entry.getBody().getOrDefault(field, "");
            }
        }
        return async.evalsha(
                ackSha,
                ScriptOutputType.INTEGER,
                new String[] {stream, auditShard(stream), KeySchema.counters(stream)},
                args);
    }

    /** The audit shard of a stream's slot; the first use adds it to the shard index, as agentbus does once per process. */
    private String auditShard(String stream) {
        String tag = KeySchema.hashTag(stream);
        if (auditShards.add(tag)) {
            async.sadd(KeySchema.AUDIT_SHARDS, tag);
        }
        return KeySchema.auditMessages(tag);
    }
}
