package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.WireFields;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Jedis streams loop: XADD through a pipeline synced every 1,000 commands (Jedis's way of keeping
 * sends in flight), one consumer thread per inbox on a connection of its own doing XREADGROUP COUNT
 * 100 BLOCK 100 and one XACK of the batch's ids. Jedis connections are not thread-safe, hence one each.
 */
final class JedisSystem implements BenchSystem {

    static final String NAME = "jedis";
    private static final String GROUP = "bench";
    private static final int PIPELINE = 1_000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.of(
                Scenario.DIRECT_THROUGHPUT, Scenario.DIRECT_LATENCY, Scenario.PAYLOAD_SIZE, Scenario.BACKLOG_DRAIN);
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        Backlog rig = openBacklog(redis, agents, sink);
        rig.startConsumers();
        return rig;
    }

    @Override
    public Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) {
        Jedis producer = new Jedis(redis.host(), redis.port());
        Pipeline pipeline = producer.pipelined();
        List<Response<StreamEntryID>> responses = new ArrayList<>();
        List<CompletableFuture<StreamEntryID>> waiting = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Thread> consumers = new ArrayList<>();
        List<Jedis> connections = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        for (String agent : agents) {
            String key = Payloads.inbox(agent);
            keys.add(key);
            Jedis reads = new Jedis(redis.host(), redis.port());
            connections.add(reads);
            reads.xgroupCreate(key, GROUP, new StreamEntryID(0, 0), true);
        }
        return new Backlog() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                responses.add(pipeline.xadd(
                        keys.get(agent), XAddParams.xAddParams(), Payloads.fields(agents.get(agent), payload)));
                CompletableFuture<StreamEntryID> done = new CompletableFuture<>();
                waiting.add(done);
                if (responses.size() >= PIPELINE) {
                    flush();
                }
                return done;
            }

            @Override
            public void flush() {
                if (responses.isEmpty()) {
                    return;
                }
                pipeline.sync();
                for (int i = 0; i < responses.size(); i++) {
                    waiting.get(i).complete(responses.get(i).get());
                }
                responses.clear();
                waiting.clear();
            }

            @Override
            public void startConsumers() {
                for (int i = 0; i < agents.size(); i++) {
                    Jedis reads = connections.get(i);
                    String key = keys.get(i);
                    Thread consumer =
                            new Thread(() -> consume(reads, key, running, sink), "jedis-consumer-" + agents.get(i));
                    consumer.start();
                    consumers.add(consumer);
                }
            }

            @Override
            public List<String> ackedStreams() {
                return keys;
            }

            @Override
            public void close() throws InterruptedException {
                running.set(false);
                for (Thread consumer : consumers) {
                    consumer.join(5_000);
                }
                connections.forEach(Jedis::close);
                producer.close();
            }
        };
    }

    /** The consumer loop of one stream, on its own connection: XREADGROUP COUNT 100 BLOCK 100, one XACK per batch. */
    private static void consume(Jedis reads, String key, AtomicBoolean running, Sink sink) {
        XReadGroupParams read = XReadGroupParams.xReadGroupParams().count(100).block(100);
        Map<String, StreamEntryID> from = Map.of(key, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY);
        while (running.get()) {
            List<Map.Entry<String, List<StreamEntry>>> reply = reads.xreadGroup(GROUP, "jedis-1", read, from);
            if (reply == null) {
                continue;
            }
            for (Map.Entry<String, List<StreamEntry>> stream : reply) {
                StreamEntryID[] ids = new StreamEntryID[stream.getValue().size()];
                int i = 0;
                for (StreamEntry entry : stream.getValue()) {
                    sink.accept(entry.getFields().get(WireFields.PAYLOAD));
                    ids[i++] = entry.getID();
                }
                reads.xack(stream.getKey(), GROUP, ids);
            }
        }
    }
}
