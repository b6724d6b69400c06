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
 * no agentbus code: EVALSHA of agentbus's own send.lua (dedup marker + XADD) on a command connection,
 * one reader thread doing XREADGROUP GROUP agentbus … COUNT 100 BLOCK over every inbox on a connection
 * of its own, handling each entry inline and acknowledging a batch with one multi-id XACK per inbox.
 * Lettuce defaults throughout. agentbus's overhead is its ratio to this.
 */
final class LettuceRawSystem implements BenchSystem {

    static final String NAME = "lettuce-raw";
    private static final String GROUP = "agentbus";
    private static final String DEDUP_WINDOW_MS = "600000";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.allOf(Scenario.class);
    }

    /** agentbus's send script, read from the agentbus-core jar so that it is the same script, byte for byte. */
    static String sendScript() {
        try (InputStream in = LettuceRawSystem.class.getResourceAsStream("/io/agentbus/redis/send.lua")) {
            if (in == null) {
                throw new IllegalStateException("send.lua not found in agentbus-core");
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
        String sha = commands.sync().scriptLoad(sendScript());
        List<String> inboxes = new ArrayList<>();
        for (String agent : agents) {
            String inbox = "agent:{" + agent + "}:inbox";
            inboxes.add(inbox);
            commands.sync().xgroupCreate(XReadArgs.StreamOffset.from(inbox, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
        }
        @SuppressWarnings("unchecked")
        XReadArgs.StreamOffset<String>[] offsets = inboxes.stream()
                .map(XReadArgs.StreamOffset::lastConsumed).toArray(XReadArgs.StreamOffset[]::new);
        Reader reader = new Reader(reads, offsets, async, sink);
        Thread thread = new Thread(reader, "lettuce-raw-reader");
        thread.start();
        return new Rig() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                String to = agents.get(agent);
                Map<String, String> fields = Payloads.fields(to, payload);
                String[] args = new String[1 + 2 * fields.size()];
                args[0] = DEDUP_WINDOW_MS;
                int i = 1;
                for (Map.Entry<String, String> field : fields.entrySet()) {
                    args[i++] = field.getKey();
                    args[i++] = field.getValue();
                }
                String[] keys = {inboxes.get(agent), "agent:{" + to + "}:dedup:" + fields.get("message_id")};
                return async.evalsha(sha, ScriptOutputType.MULTI, keys, args);
            }

            @Override
            public List<String> ackedStreams() {
                return inboxes;
            }

            @Override
            public String group() {
                return GROUP;
            }

            @Override
            public void close() throws InterruptedException {
                reader.running = false;
                thread.join(5_000);
                client.shutdown();
            }
        };
    }

    /** The read loop: one XREADGROUP over every inbox, the handler inline, one XACK per inbox per batch. */
    private static final class Reader implements Runnable {
        private final StatefulRedisConnection<String, String> reads;
        private final XReadArgs.StreamOffset<String>[] offsets;
        private final RedisAsyncCommands<String, String> acks;
        private final Sink sink;
        private volatile boolean running = true;

        Reader(StatefulRedisConnection<String, String> reads, XReadArgs.StreamOffset<String>[] offsets,
               RedisAsyncCommands<String, String> acks, Sink sink) {
            this.reads = reads;
            this.offsets = offsets;
            this.acks = acks;
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
                done.forEach((stream, ids) -> acks.xack(stream, GROUP, ids.toArray(String[]::new)));
            }
        }
    }
}
