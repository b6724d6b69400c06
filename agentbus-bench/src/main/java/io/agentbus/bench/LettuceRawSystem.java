package io.agentbus.bench;

import io.agentbus.LocalRedis;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The client limit: Lettuce issuing exactly the Redis commands agentbus issues (docs/PROTOCOL.md), with
 * no agentbus code: EVALSHA of agentbus's own send.lua (dedup marker + cap check + XADD + audit record)
 * on a command connection, one reader thread doing XREADGROUP GROUP agentbus … COUNT 100 BLOCK over the
 * three priority band streams of every inbox on a connection of its own, handling each entry inline and
 * acknowledging a batch with agentbus's ack.lua (multi-id XACK + audit records) per stream.
 * Lettuce defaults throughout. agentbus's overhead is its ratio to this.
 */
final class LettuceRawSystem implements BenchSystem {

    static final String NAME = "lettuce-raw";
    private static final String GROUP = "agentbus";
    private static final String DEDUP_WINDOW_MS = "600000";
    /** agentbus's defaults: BusOptions.DEFAULT_MAX_INBOX_LENGTH and DEFAULT_AUDIT_CAP. */
    private static final String MAX_INBOX_LENGTH = "1000000";
    private static final String AUDIT_CAP = "100000";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.allOf(Scenario.class);
    }

    /** One of agentbus's scripts, read from the agentbus-core jar so that it is the same script, byte for byte. */
    static String script(String name) {
        try (InputStream in = LettuceRawSystem.class.getResourceAsStream("/io/agentbus/redis/" + name)) {
            if (in == null) {
                throw new IllegalStateException(name + " not found in agentbus-core");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        StatefulRedisConnection<String, String> reads = client.connect();
        RedisAsyncCommands<String, String> async = commands.async();
        String sha = commands.sync().scriptLoad(script("send.lua"));
        String ackSha = commands.sync().scriptLoad(script("audit_record.lua") + script("ack.lua")); // as agentbus loads it
        List<String> inboxes = new ArrayList<>();
        List<String> bands = new ArrayList<>();
        for (String agent : agents) {
            String inbox = "agent:{" + agent + "}:inbox";
            inboxes.add(inbox);
            for (String band : List.of(inbox + ":high", inbox, inbox + ":low")) {
                bands.add(band);
                commands.sync().xgroupCreate(XReadArgs.StreamOffset.from(band, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
            }
            commands.sync().sadd("audit:shards", agent);
        }
        @SuppressWarnings("unchecked")
        XReadArgs.StreamOffset<String>[] offsets = bands.stream()
                .map(XReadArgs.StreamOffset::lastConsumed).toArray(XReadArgs.StreamOffset[]::new);
        Reader reader = new Reader(reads, offsets, async, ackSha, sink);
        Thread thread = new Thread(reader, "lettuce-raw-reader");
        thread.start();
        return new Rig() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                String to = agents.get(agent);
                Map<String, String> fields = Payloads.fields(to, payload);
                String[] args = new String[4 + 2 * fields.size()];
                args[0] = DEDUP_WINDOW_MS;
                args[1] = ""; // no required group: a plain send
                args[2] = MAX_INBOX_LENGTH;
                args[3] = AUDIT_CAP;
                int i = 4;
                for (Map.Entry<String, String> field : fields.entrySet()) {
                    args[i++] = field.getKey();
                    args[i++] = field.getValue();
                }
                String[] keys = {inboxes.get(agent), "agent:{" + to + "}:dedup:" + fields.get("message_id"),
                    "audit:messages:{" + to + "}"};
                return async.evalsha(sha, ScriptOutputType.MULTI, keys, args);
            }

            @Override
            public List<String> ackedStreams() {
                return inboxes;
            }

            @Override
            public void close() throws InterruptedException {
                reader.running = false;
                thread.join(5_000);
                client.shutdown();
            }
        };
    }

    /** The read loop: one XREADGROUP over every band stream, the handler inline, one ack.lua per stream per batch. */
    private static final class Reader implements Runnable {
        private final StatefulRedisConnection<String, String> reads;
        private final XReadArgs.StreamOffset<String>[] offsets;
        private final RedisAsyncCommands<String, String> acks;
        private final String ackSha;
        private final Sink sink;
        private volatile boolean running = true;

        Reader(StatefulRedisConnection<String, String> reads, XReadArgs.StreamOffset<String>[] offsets,
               RedisAsyncCommands<String, String> acks, String ackSha, Sink sink) {
            this.reads = reads;
            this.offsets = offsets;
            this.acks = acks;
            this.ackSha = ackSha;
            this.sink = sink;
        }

        @Override
        public void run() {
            Consumer<String> consumer = Consumer.from(GROUP, "raw-1");
            XReadArgs args = XReadArgs.Builder.count(100).block(100);
            while (running) {
                List<StreamMessage<String, String>> batch;
                try {
                    batch = reads.sync().xreadgroup(consumer, args, offsets);
                } catch (RedisException e) {
                    if (running) {
                        throw e;
                    }
                    return;
                }
                Map<String, List<String>> done = new LinkedHashMap<>();
                for (StreamMessage<String, String> entry : batch) {
                    sink.accept(entry.getBody().get("payload"));
                    done.computeIfAbsent(entry.getStream(), stream -> new ArrayList<>()).add(entry.getId());
                }
                done.forEach((stream, ids) -> {
                    String[] ackArgs = new String[3 + ids.size()];
                    ackArgs[0] = GROUP;
                    ackArgs[1] = "raw-1";
                    ackArgs[2] = AUDIT_CAP;
                    for (int i = 0; i < ids.size(); i++) {
                        ackArgs[3 + i] = ids.get(i);
                    }
                    String tag = stream.substring(stream.indexOf('{') + 1, stream.indexOf('}'));
                    acks.evalsha(ackSha, ScriptOutputType.INTEGER, new String[] {stream, "audit:messages:{" + tag + "}"}, ackArgs);
                });
            }
        }
    }
}
