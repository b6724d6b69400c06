package io.agentbus.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.agentbus.MessageId;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code lettuce-raw}'s broadcast and durable topic: the commands agentbus issues for them
 * (docs/PROTOCOL.md sections 8 and 9), without agentbus's code.
 *
 * <p>Broadcast: PUBLISH of the wire fields plus {@code publisher} and {@code sequence} as one JSON object
 * on the command connection; one pub/sub connection SUBSCRIBEd once, whose listener parses each message
 * once and hands its payload to every subscriber inline, as agentbus listens once per process and fans
 * out to its listenings. Durable topic: send.lua on {@code topic:{bench}} without a cap, and per subscriber
 * group one {@link LettuceStreamReader} on a connection of its own, as agentbus runs one reader per group.
 */
final class LettuceRawTopics {

    private static final String CHANNEL = "events:bench:tick";
    private static final String TOPIC = "bench";
    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};

    private LettuceRawTopics() {}

    static BenchSystem.Rig broadcast(LocalRedis redis, int subscribers, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        StatefulRedisPubSubConnection<String, String> listening = client.connectPubSub();
        listening.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                String payload;
                try {
                    payload = Payloads.MAPPER.readValue(message, FIELDS).get(WireFields.PAYLOAD);
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("not a JSON broadcast: " + message, e);
                }
                for (int i = 0; i < subscribers; i++) {
                    sink.accept(payload);
                }
            }
        });
        listening.sync().subscribe(CHANNEL);
        AtomicLong sequence = new AtomicLong();
        return BenchSystem.Rig.of(
                payload -> {
                    Map<String, String> fields = Payloads.fields("events", payload);
                    fields.put("publisher", "lettuce-raw");
                    fields.put("sequence", Long.toString(sequence.incrementAndGet()));
                    return commands.async().publish(CHANNEL, Payloads.json(fields));
                },
                List.of(),
                client::shutdown);
    }

    static BenchSystem.Rig durableTopic(LocalRedis redis, int groups, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        LettuceRawScripts scripts = new LettuceRawScripts(commands);
        String stream = KeySchema.topic(TOPIC);
        List<LettuceStreamReader> readers = new ArrayList<>();
        for (int i = 0; i < groups; i++) {
            String group = "group-" + i;
            LettuceRawSystem.createGroup(commands, List.of(stream), group, "$");
            readers.add(new LettuceStreamReader(
                    client,
                    scripts::ack,
                    group,
                    List.of(stream),
                    entry -> sink.accept(entry.getBody().get(WireFields.PAYLOAD))));
        }
        return BenchSystem.Rig.of(
                payload -> {
                    Map<String, String> fields = Payloads.fields(TOPIC, payload);
                    return scripts.send(
                            stream,
                            KeySchema.streamDedup(stream, MessageId.of(fields.get(WireFields.MESSAGE_ID))),
                            "",
                            0,
                            fields);
                },
                List.of(stream),
                () -> {
                    for (LettuceStreamReader reader : readers) {
                        reader.close();
                    }
                    client.shutdown();
                });
    }
}
