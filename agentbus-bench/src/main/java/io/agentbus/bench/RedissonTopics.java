package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RFuture;
import org.redisson.api.RReliableTopic;
import org.redisson.api.RRemoteService;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.api.annotation.RRemoteAsync;
import org.redisson.codec.TypedJsonJacksonCodec;
import org.redisson.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redisson's own answers to broadcast, durable topics and request/reply, as its docs show them.
 *
 * <ul>
 *   <li>Broadcast: one {@link RTopic} with one {@code addListener} per subscriber (Redisson subscribes
 *       the channel once and calls every listener), {@code publishAsync} to publish.
 *   <li>Durable topic: {@link RReliableTopic}, one instance per subscriber group (each instance is a
 *       subscriber: a consumer group of its own on the topic's stream, a blocking XREADGROUP, and one
 *       XACK per message after its listener ran); {@code publishAsync} is a script of XADD + XINFO GROUPS.
 *   <li>Request/reply: {@link RRemoteService}, Redisson's documented remote invocation over Redis, with
 *       its default options (an ack within 1 s, then the result) and codec (Kryo), called through an
 *       {@link RRemoteAsync} interface; 16 workers, the size of agentbus's default handler pool.
 * </ul>
 * Broadcasts and topic messages are the protocol fields as one JSON object, through
 * {@link TypedJsonJacksonCodec}: the same bytes as agentbus's broadcast, decoded by Redisson.
 */
final class RedissonTopics {

    private static final Logger log = LoggerFactory.getLogger(RedissonTopics.class);

    private static final TypedJsonJacksonCodec FIELDS = new TypedJsonJacksonCodec(Map.class);
    /** The durable topic's stream, named as agentbus names a topic's. */
    private static final String TOPIC = KeySchema.topic("bench");

    private static final int WORKERS = 16;

    /** What the responder serves; an interface, as RRemoteService invokes interfaces. */
    public interface Echo {
        String echo(String payload);
    }

    /** The asynchronous view of {@link Echo} for the requester, as Redisson's docs declare one. */
    @RRemoteAsync(Echo.class)
    public interface EchoAsync {
        RFuture<String> echo(String payload);
    }

    private RedissonTopics() {}

    static BenchSystem.Rig broadcast(LocalRedis redis, int subscribers, Sink sink) {
        RedissonClient client = Redisson.create(RedissonSystem.config(redis));
        RTopic topic = client.getTopic("events:bench:tick", FIELDS);
        for (int i = 0; i < subscribers; i++) {
            topic.addListener(Map.class, (channel, fields) -> sink.accept((String) fields.get(WireFields.PAYLOAD)));
        }
        return BenchSystem.Rig.of(
                payload -> topic.publishAsync(Payloads.fields("events", payload)), List.of(), () -> close(client));
    }

    static BenchSystem.Rig durableTopic(LocalRedis redis, int groups, Sink sink) {
        Config config = RedissonSystem.config(redis);
        // Each subscriber's XREADGROUP blocks a pooled connection until a message comes: the pool needs
        // one per subscriber beyond its default of 64, or publishes wait for a free connection.
        config.useSingleServer().setConnectionPoolSize(64 + groups);
        RedissonClient client = Redisson.create(config);
        RReliableTopic publisher = client.getReliableTopic(TOPIC, FIELDS);
        List<RReliableTopic> subscribers = new ArrayList<>();
        for (int i = 0; i < groups; i++) {
            RReliableTopic subscriber = client.getReliableTopic(TOPIC, FIELDS);
            subscriber.addListener(
                    Map.class, (channel, fields) -> sink.accept((String) fields.get(WireFields.PAYLOAD)));
            subscribers.add(subscriber);
        }
        return BenchSystem.Rig.of(
                payload -> publisher.publishAsync(Payloads.fields("bench", payload)), List.of(TOPIC), () -> {
                    // Ends each subscriber's read, which blocks without a timeout and would hold up the shutdown.
                    // Redisson's removal (a script destroying the subscriber's group) can time out on a busy
                    // machine after every figure was measured: that is Redisson's cleanup, not the run's
                    // result, so it is logged and the shutdown goes on.
                    for (RReliableTopic subscriber : subscribers) {
                        try {
                            subscriber.removeAllListeners();
                        } catch (RuntimeException e) {
                            log.warn(
                                    "Redisson could not remove a reliable-topic listener at teardown: {}",
                                    e.toString());
                        }
                    }
                    close(client);
                });
    }

    static BenchSystem.Rig requestReply(LocalRedis redis, Sink sink) {
        RedissonClient client = Redisson.create(RedissonSystem.config(redis));
        RRemoteService remote = client.getRemoteService("bench");
        remote.register(Echo.class, payload -> payload, WORKERS);
        EchoAsync echo = remote.get(EchoAsync.class);
        return BenchSystem.Rig.of(payload -> echo.echo(payload).thenAccept(sink::accept), List.of(), () -> {
            remote.deregister(Echo.class); // ends the workers' waits for requests, as for the topic's reads
            close(client);
        });
    }

    private static void close(RedissonClient client) {
        client.shutdown(0, 5, TimeUnit.SECONDS);
    }
}
