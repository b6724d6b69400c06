package io.agentbus.bench;

import io.agentbus.AgentId;
import io.agentbus.Priority;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The client limit: Lettuce issuing exactly the Redis commands agentbus issues (docs/PROTOCOL.md), with
 * no agentbus code: EVALSHA of agentbus's own send.lua (dedup marker + cap check + XADD + audit record)
 * on a command connection, one reader thread doing XREADGROUP GROUP agentbus … COUNT 100 BLOCK over the
 * three priority band streams of every inbox on a connection of its own, handling each entry inline and
 * acknowledging a batch with agentbus's ack.lua (multi-id XACK + audit records) per stream
 * ({@link LettuceStreamReader}). Lettuce defaults throughout. agentbus's overhead is its ratio to this.
 * Broadcast and durable topics are {@link LettuceRawTopics}, request/reply {@link LettuceRawRequestReply}.
 */
final class LettuceRawSystem implements BenchSystem {

    static final String NAME = "lettuce-raw";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Every scenario but {@link Scenario#CLUSTER}, which only agentbus runs, and {@link Scenario#DEPARTMENT},
     * whose ceiling is lettuce-plain (docs/BENCHMARKS.md).
     */
    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.complementOf(EnumSet.of(Scenario.CLUSTER, Scenario.DEPARTMENT));
    }

    /** The high, normal and low band streams of an agent's inbox, in the order agentbus reads them. */
    static List<String> bands(String agent) {
        AgentId id = AgentId.of(agent);
        return List.of(
                KeySchema.inbox(id, Priority.HIGH.value()),
                KeySchema.inbox(id, Priority.NORMAL.value()),
                KeySchema.inbox(id, Priority.LOW.value()));
    }

    /** XGROUP CREATE … MKSTREAM of {@code group} on each stream, from {@code offset} ("0": all, "$": new only). */
    static void createGroup(
            StatefulRedisConnection<String, String> commands, List<String> streams, String group, String offset) {
        for (String stream : streams) {
            commands.sync()
                    .xgroupCreate(
                            XReadArgs.StreamOffset.from(stream, offset), group, XGroupCreateArgs.Builder.mkstream());
        }
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        Backlog rig = openBacklog(redis, agents, sink);
        rig.startConsumers();
        return rig;
    }

    @Override
    public Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        LettuceRawScripts scripts = new LettuceRawScripts(commands);
        List<String> inboxes = new ArrayList<>();
        List<String> bands = new ArrayList<>();
        for (String agent : agents) {
            inboxes.add(Payloads.inbox(agent));
            bands.addAll(bands(agent));
        }
        createGroup(commands, bands, KeySchema.INBOX_GROUP, "0");
        List<LettuceStreamReader> reader = new ArrayList<>(1);
        return new Backlog() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                String to = agents.get(agent);
                Map<String, String> fields = Payloads.fields(to, payload);
                return scripts.send(
                        inboxes.get(agent),
                        Payloads.dedup(to, fields.get(WireFields.MESSAGE_ID)),
                        "",
                        SendOptions.DEFAULT_MAX_INBOX_LENGTH,
                        fields);
            }

            @Override
            public void startConsumers() {
                reader.add(new LettuceStreamReader(
                        client,
                        scripts::ack,
                        KeySchema.INBOX_GROUP,
                        bands,
                        entry -> sink.accept(entry.getBody().get(WireFields.PAYLOAD))));
            }

            @Override
            public List<String> ackedStreams() {
                return inboxes;
            }

            @Override
            public void close() throws InterruptedException {
                for (LettuceStreamReader running : reader) {
                    running.close();
                }
                client.shutdown();
            }
        };
    }

    @Override
    public Rig openBroadcast(LocalRedis redis, int subscribers, Sink sink) {
        return LettuceRawTopics.broadcast(redis, subscribers, sink);
    }

    @Override
    public Rig openDurableTopic(LocalRedis redis, int groups, Sink sink) {
        return LettuceRawTopics.durableTopic(redis, groups, sink);
    }

    @Override
    public Rig openRequestReply(LocalRedis redis, Sink sink) {
        return LettuceRawRequestReply.open(redis, sink);
    }
}
