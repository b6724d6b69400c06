package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.redisson.Redisson;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamCreateGroupArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * Redisson's RStream as its docs show it: {@code addAsync} to produce, a consumer loop of
 * {@code readGroup(group, consumer, neverDelivered().count(100).timeout(…))} and one {@code ack} of the
 * batch's ids. {@link StringCodec}, so the stream holds the same bytes as everyone's (Redisson's default
 * codec is Kryo). Default pool and timeouts otherwise; in a department, one client per process. Broadcast, durable topics and request/reply are
 * {@link RedissonTopics}.
 */
final class RedissonSystem implements BenchSystem {

    static final String NAME = "redisson";
    private static final String GROUP = "bench";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.of(
                Scenario.DIRECT_THROUGHPUT,
                Scenario.DIRECT_LATENCY,
                Scenario.PAYLOAD_SIZE,
                Scenario.BACKLOG_DRAIN,
                Scenario.DEPARTMENT,
                Scenario.BROADCAST,
                Scenario.DURABLE_TOPIC,
                Scenario.REQUEST_REPLY);
    }

    /**
     * Redisson's defaults, on {@code redis}, but for the response timeout: its 3 s default failed the
     * teardown of a reliable topic (its XGROUP DESTROY script) on a loaded two-core machine, which says
     * nothing about throughput.
     */
    static Config config(LocalRedis redis) {
        return config(redis.uri());
    }

    private static Config config(String redisUri) {
        Config config = new Config();
        config.useSingleServer().setAddress(redisUri).setTimeout(10_000);
        return config;
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        Backlog rig = openBacklog(redis, agents, sink);
        rig.startConsumers();
        return rig;
    }

    @Override
    public Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) {
        Config config = config(redis);
        config.setCodec(StringCodec.INSTANCE);
        RedissonClient client = Redisson.create(config);
        List<RStream<String, String>> streams = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Thread> consumers = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        for (String agent : agents) {
            String key = Payloads.inbox(agent);
            RStream<String, String> stream = client.getStream(key, StringCodec.INSTANCE);
            stream.createGroup(
                    StreamCreateGroupArgs.name(GROUP).id(StreamMessageId.ALL).makeStream());
            streams.add(stream);
            keys.add(key);
        }
        return new Backlog() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                return streams.get(agent).addAsync(StreamAddArgs.entries(Payloads.fields(agents.get(agent), payload)));
            }

            @Override
            public void startConsumers() {
                for (int i = 0; i < agents.size(); i++) {
                    RStream<String, String> stream = streams.get(i);
                    Thread consumer =
                            new Thread(() -> consume(stream, running, sink), "redisson-consumer-" + agents.get(i));
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
                client.shutdown(0, 5, TimeUnit.SECONDS);
            }
        };
    }

    /** One client per process; per member an RStream with its group and a consumer thread, as {@link #open}. */
    @Override
    public Member openDepartment(String redisUri, List<String> members, Sink sink) {
        Config config = config(redisUri);
        config.setCodec(StringCodec.INSTANCE);
        RedissonClient client = Redisson.create(config);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> consumers = new ArrayList<>();
        for (String agent : members) {
            RStream<String, String> stream = client.getStream(Payloads.inbox(agent), StringCodec.INSTANCE);
            stream.createGroup(
                    StreamCreateGroupArgs.name(GROUP).id(StreamMessageId.ALL).makeStream());
            Thread consumer = new Thread(() -> consume(stream, running, sink), "redisson-consumer-" + agent);
            consumer.start();
            consumers.add(consumer);
        }
        Map<String, RStream<String, String>> streams = new HashMap<>();
        return new Member() {
            @Override
            public CompletionStage<?> send(String from, String to, String payload) {
                return streams.computeIfAbsent(
                                to, agent -> client.getStream(Payloads.inbox(agent), StringCodec.INSTANCE))
                        .addAsync(StreamAddArgs.entries(Payloads.fields(from, to, payload)));
            }

            @Override
            public void close() throws InterruptedException {
                running.set(false);
                for (Thread consumer : consumers) {
                    consumer.join(5_000);
                }
                client.shutdown(0, 5, TimeUnit.SECONDS);
            }
        };
    }

    /** The consumer loop of one stream: a batch of up to 100 new entries, each handled, then one ack of them all. */
    private static void consume(RStream<String, String> stream, AtomicBoolean running, Sink sink) {
        StreamReadGroupArgs read =
                StreamReadGroupArgs.neverDelivered().count(100).timeout(Duration.ofMillis(100));
        while (running.get()) {
            Map<StreamMessageId, Map<String, String>> batch = stream.readGroup(GROUP, "redisson-1", read);
            if (batch.isEmpty()) {
                continue;
            }
            batch.values().forEach(fields -> sink.accept(fields.get(WireFields.PAYLOAD)));
            stream.ack(GROUP, batch.keySet().toArray(StreamMessageId[]::new));
        }
    }

    @Override
    public Rig openBroadcast(LocalRedis redis, int subscribers, Sink sink) {
        return RedissonTopics.broadcast(redis, subscribers, sink);
    }

    @Override
    public Rig openDurableTopic(LocalRedis redis, int groups, Sink sink) {
        return RedissonTopics.durableTopic(redis, groups, sink);
    }

    @Override
    public Rig openRequestReply(LocalRedis redis, Sink sink) {
        return RedissonTopics.requestReply(redis, sink);
    }
}
