package io.agentbus.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamRecords;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.data.redis.stream.StreamMessageListenerContainer;
import org.springframework.data.redis.stream.StreamMessageListenerContainer.StreamMessageListenerContainerOptions;

/**
 * Spring Data Redis's broadcast and durable topic, as its reference documentation shows them.
 *
 * <p>Broadcast: a {@link RedisMessageListenerContainer} (one subscribed connection for all listeners)
 * with one {@code addMessageListener} per subscriber, each listener reading the JSON object of the
 * protocol fields itself; publish with the reactive template's {@code convertAndSend}. The container's
 * task executor is a pool of 16 threads, the size of agentbus's handler pool: its javadoc recommends
 * configuring one over the default {@code SimpleAsyncTaskExecutor}, which starts a thread per message
 * and listener.
 *
 * <p>Durable topic: one stream, one {@link StreamMessageListenerContainer} with one {@code receive} per
 * subscriber group (a consumer group each; the container polls each with a blocking XREADGROUP on a
 * connection and thread of its own), each record acknowledged from its listener; publish with the
 * reactive template's {@code opsForStream().add}. Batch 100, poll timeout 100 ms, as for direct.
 */
final class SpringDataRedisTopics {

    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};
    private static final int LISTENER_THREADS = 16;

    private SpringDataRedisTopics() {}

    static BenchSystem.Rig broadcast(LocalRedis redis, int subscribers, Sink sink) {
        LettuceConnectionFactory factory = SpringDataRedisSystem.connect(redis);
        ReactiveStringRedisTemplate reactive = new ReactiveStringRedisTemplate(factory);
        ExecutorService listeners = Executors.newFixedThreadPool(LISTENER_THREADS);
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(factory);
        container.setTaskExecutor(listeners);
        ChannelTopic channel = new ChannelTopic("events:bench:tick");
        for (int i = 0; i < subscribers; i++) {
            container.addMessageListener(
                    (message, pattern) -> {
                        try {
                            sink.accept(Payloads.MAPPER
                                    .readValue(message.getBody(), FIELDS)
                                    .get(WireFields.PAYLOAD));
                        } catch (IOException e) {
                            throw new IllegalStateException("not a JSON broadcast", e);
                        }
                    },
                    channel);
        }
        container.afterPropertiesSet();
        container.start();
        return BenchSystem.Rig.of(
                payload -> reactive.convertAndSend(
                                channel.getTopic(), Payloads.json(Payloads.fields("events", payload)))
                        .toFuture(),
                List.of(),
                () -> {
                    container.stop();
                    container.destroy();
                    listeners.shutdown();
                    factory.destroy();
                });
    }

    static BenchSystem.Rig durableTopic(LocalRedis redis, int groups, Sink sink) {
        LettuceConnectionFactory factory = SpringDataRedisSystem.connect(redis);
        StringRedisTemplate template = new StringRedisTemplate(factory);
        ReactiveStringRedisTemplate reactive = new ReactiveStringRedisTemplate(factory);
        StreamMessageListenerContainerOptions<String, MapRecord<String, String, String>> options =
                StreamMessageListenerContainerOptions.builder()
                        .pollTimeout(Duration.ofMillis(100))
                        .batchSize(100)
                        .build();
        StreamMessageListenerContainer<String, MapRecord<String, String, String>> container =
                StreamMessageListenerContainer.create(factory, options);
        String key = KeySchema.topic("bench");
        for (int i = 0; i < groups; i++) {
            String group = "group-" + i;
            SpringDataRedisSystem.createGroup(factory, key, group, ReadOffset.latest());
            container.receive(
                    Consumer.from(group, "spring-1"), StreamOffset.create(key, ReadOffset.lastConsumed()), record -> {
                        sink.accept(record.getValue().get(WireFields.PAYLOAD));
                        template.opsForStream().acknowledge(group, record);
                    });
        }
        container.start();
        return BenchSystem.Rig.of(
                payload -> reactive.opsForStream()
                        .add(StreamRecords.newRecord().in(key).ofMap(Payloads.fields("bench", payload)))
                        .toFuture(),
                List.of(key),
                () -> {
                    container.stop();
                    factory.destroy();
                });
    }
}
