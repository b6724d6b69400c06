package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.WireFields;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamRecords;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.stream.StreamMessageListenerContainer;
import org.springframework.data.redis.stream.StreamMessageListenerContainer.StreamMessageListenerContainerOptions;

/**
 * Spring Data Redis as its reference documentation shows it: a {@link LettuceConnectionFactory}, the
 * reactive template's {@code opsForStream().add} to produce (its asynchronous API), and a
 * {@link StreamMessageListenerContainer} that {@code receive}s with a consumer group and acknowledges
 * each record from the listener ({@code acknowledge(group, record)}), i.e. manual acks. Batch size 100
 * and poll timeout 100 ms like everyone's; defaults otherwise. Broadcast and durable topics are
 * {@link SpringDataRedisTopics}; Spring Data Redis has no request/reply (docs/BENCHMARKS.md).
 */
final class SpringDataRedisSystem implements BenchSystem {

    static final String NAME = "spring-data-redis";
    private static final String GROUP = "bench";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.of(
                Scenario.DIRECT_THROUGHPUT, Scenario.DIRECT_LATENCY, Scenario.BROADCAST, Scenario.DURABLE_TOPIC);
    }

    /** A started {@link LettuceConnectionFactory} with Spring's defaults, on {@code redis}. */
    static LettuceConnectionFactory connect(LocalRedis redis) {
        LettuceConnectionFactory factory =
                new LettuceConnectionFactory(new RedisStandaloneConfiguration(redis.host(), redis.port()));
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    /** Creates {@code group} on the stream {@code key}, reading from {@code from}, making the stream if needed. */
    static void createGroup(LettuceConnectionFactory factory, String key, String group, ReadOffset from) {
        try (RedisConnection connection = factory.getConnection()) {
            connection.streamCommands().xGroupCreate(key.getBytes(StandardCharsets.UTF_8), group, from, true);
        }
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        LettuceConnectionFactory factory = connect(redis);
        StringRedisTemplate template = new StringRedisTemplate(factory);
        ReactiveStringRedisTemplate reactive = new ReactiveStringRedisTemplate(factory);
        StreamMessageListenerContainerOptions<String, MapRecord<String, String, String>> options =
                StreamMessageListenerContainerOptions.builder()
                        .pollTimeout(Duration.ofMillis(100))
                        .batchSize(100)
                        .build();
        StreamMessageListenerContainer<String, MapRecord<String, String, String>> container =
                StreamMessageListenerContainer.create(factory, options);
        List<String> keys = agents.stream().map(Payloads::inbox).toList();
        for (String key : keys) {
            createGroup(factory, key, GROUP, ReadOffset.from("0"));
            container.receive(
                    Consumer.from(GROUP, "spring-1"), StreamOffset.create(key, ReadOffset.lastConsumed()), record -> {
                        sink.accept(record.getValue().get(WireFields.PAYLOAD));
                        template.opsForStream().acknowledge(GROUP, record);
                    });
        }
        container.start();
        return new Rig() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                return reactive.opsForStream()
                        .add(StreamRecords.newRecord()
                                .in(keys.get(agent))
                                .ofMap(Payloads.fields(agents.get(agent), payload)))
                        .toFuture();
            }

            @Override
            public List<String> ackedStreams() {
                return keys;
            }

            @Override
            public void close() {
                container.stop();
                factory.destroy();
            }
        };
    }

    @Override
    public Rig openBroadcast(LocalRedis redis, int subscribers, Sink sink) {
        return SpringDataRedisTopics.broadcast(redis, subscribers, sink);
    }

    @Override
    public Rig openDurableTopic(LocalRedis redis, int groups, Sink sink) {
        return SpringDataRedisTopics.durableTopic(redis, groups, sink);
    }
}
