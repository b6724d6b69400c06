package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The seed's design, on Lettuce: one JSON string per message, {@code LPUSH agent_<role>} to send and,
 * per agent, a loop doing {@code BRPOP agent_<role> 0.1} on a connection of its own and parsing the JSON.
 * No acknowledgement: a message popped by a consumer that dies is gone.
 */
final class SeedListsSystem implements BenchSystem {

    static final String NAME = "seed-lists";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.of(Scenario.DIRECT_THROUGHPUT, Scenario.DIRECT_LATENCY, Scenario.FAN_IN);
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        RedisAsyncCommands<String, String> async = commands.async();
        List<Thread> consumers = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        for (String agent : agents) {
            StatefulRedisConnection<String, String> pops = client.connect();
            String key = "agent_" + agent;
            Thread consumer = new Thread(
                    () -> {
                        while (running.get()) {
                            KeyValue<String, String> popped = pops.sync().brpop(0.1, key);
                            if (popped == null || !popped.hasValue()) {
                                continue;
                            }
                            try {
                                Map<?, ?> message = Payloads.MAPPER.readValue(popped.getValue(), Map.class);
                                sink.accept((String) message.get(WireFields.PAYLOAD));
                            } catch (Exception e) {
                                throw new IllegalStateException("not a JSON message: " + popped.getValue(), e);
                            }
                        }
                        pops.close();
                    },
                    "seed-consumer-" + agent);
            consumer.start();
            consumers.add(consumer);
        }
        return new Rig() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                String to = agents.get(agent);
                return async.lpush("agent_" + to, Payloads.json(Payloads.fields(to, payload)));
            }

            @Override
            public List<String> ackedStreams() {
                return List.of();
            }

            @Override
            public void close() throws InterruptedException {
                running.set(false);
                for (Thread consumer : consumers) {
                    consumer.join(5_000);
                }
                client.shutdown();
            }
        };
    }
}
