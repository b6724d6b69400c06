package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A scripted run whose every operation is known in advance, then every meter of the bus and every
 * Redis-side counter is compared with what the script did: the figures must match exactly.
 */
@ExtendWith(RedisServerExtension.class)
class MetricsIT {

    private static final int SENT = 100;
    private static final int POISON = 5;
    private static final int FLAKY = 10;
    private static final int DUPLICATES = 3;
    private static final int EXPIRED = 2;
    private static final int HEARD = 4;
    private static final int UNHEARD = 2;

    @Test
    void countersMatchTheOperationsOfAScriptedRunExactly(LocalRedis redis) throws Exception {
        AgentId writer = AgentId.of("writer");
        AgentId sender = AgentId.of("sender");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BusOptions options = BusOptions.builder()
                .meterRegistry(registry)
                .delivery(DeliveryOptions.builder()
                        .visibilityTimeout(Duration.ofSeconds(2))
                        .backoff(Backoff.fixed(Duration.ofMillis(50)))
                        .build())
                .build();
        Set<MessageId> failedOnce = ConcurrentHashMap.newKeySet();
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            List<Envelope> script = new ArrayList<>();
            for (int i = 0; i < SENT; i++) {
                String type = i < POISON ? "poison" : i < POISON + FLAKY ? "flaky" : "task";
                script.add(Envelope.builder()
                        .from(sender)
                        .to(writer)
                        .type(type)
                        .payload("{\"n\":" + i + "}")
                        .build());
            }
            for (Envelope message : script) {
                bus.sync().send(message);
            }
            for (int i = 0; i < DUPLICATES; i++) {
                bus.sync().send(script.get(SENT - 1 - i));
            }
            for (int i = 0; i < EXPIRED; i++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from(sender)
                                .to(writer)
                                .type("stale")
                                .payload("{}")
                                .expiresAt(Instant.now().minusSeconds(1))
                                .build());
            }
            var listening = bus.listen("events:metrics:heard", (channel, message) -> {});
            for (int i = 0; i < HEARD; i++) {
                bus.publish("events:metrics:heard", broadcast(sender))
                        .toCompletableFuture()
                        .join();
            }
            for (int i = 0; i < UNHEARD; i++) {
                bus.publish("events:metrics:unheard", broadcast(sender))
                        .toCompletableFuture()
                        .join();
            }

            bus.subscribe(writer, delivery -> {
                switch (delivery.envelope().messageType()) {
                    case "poison" -> throw new NonRetryableException("cannot parse the brief");
                    case "flaky" -> {
                        if (failedOnce.add(delivery.envelope().messageId())) {
                            throw new IllegalStateException("the model timed out");
                        }
                    }
                    default -> {}
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                InboxStats inbox = bus.sync().inbox(writer);
                return inbox.counters().acked() == SENT - POISON
                        && inbox.pending() == 0
                        && inbox.deadLetters() == POISON + EXPIRED;
            });
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> registry.find("channel.messages").tags("direction", "received").counters().stream()
                                    .mapToDouble(c -> c.count())
                                    .sum()
                            == HEARD);
            listening.close();

            InboxStats.Counters inRedis = bus.sync().inbox(writer).counters();
            String agent = writer.value();
            Map<String, double[]> checks = new LinkedHashMap<>();
            checks.put("messages.published", pair(SENT + EXPIRED, sum(registry, "messages.published", agent)));
            checks.put(
                    "messages.published{task}",
                    pair(
                            SENT - POISON - FLAKY,
                            registry.get("messages.published")
                                    .tags("agent", agent, "message_type", "task")
                                    .counter()
                                    .count()));
            checks.put("messages.deduplicated", pair(DUPLICATES, sum(registry, "messages.deduplicated", agent)));
            checks.put("messages.received", pair(SENT + FLAKY, sum(registry, "messages.received", agent)));
            checks.put("messages.acked", pair(SENT - POISON, sum(registry, "messages.acked", agent)));
            checks.put("messages.retried", pair(FLAKY, sum(registry, "messages.retried", agent)));
            checks.put("messages.dead.lettered", pair(POISON, sum(registry, "messages.dead.lettered", agent)));
            checks.put("messages.expired", pair(EXPIRED, sum(registry, "messages.expired", agent)));
            checks.put(
                    "message.latency count",
                    pair(SENT + FLAKY, timer(registry, "message.latency", agent).count()));
            checks.put(
                    "message.processing.duration count",
                    pair(
                            SENT + FLAKY,
                            timer(registry, "message.processing.duration", agent)
                                    .count()));
            // (the bus also publishes presence events on its own channel: not part of the script)
            checks.put(
                    "channel.messages{published,heard}",
                    pair(
                            HEARD,
                            registry.get("channel.messages")
                                    .tags("channel", "events:metrics:heard", "direction", "published")
                                    .counter()
                                    .count()));
            checks.put(
                    "channel.messages{published,unheard}",
                    pair(
                            UNHEARD,
                            registry.get("channel.messages")
                                    .tags("channel", "events:metrics:unheard", "direction", "published")
                                    .counter()
                                    .count()));
            checks.put(
                    "channel.messages{received}",
                    pair(
                            HEARD,
                            registry.get("channel.messages")
                                    .tags("channel", "events:metrics:heard", "direction", "received")
                                    .counter()
                                    .count()));
            checks.put(
                    "channel.subscribers{heard}",
                    pair(
                            1,
                            registry.get("channel.subscribers")
                                    .tags("channel", "events:metrics:heard")
                                    .gauge()
                                    .value()));
            checks.put(
                    "pubsub.unheard.publishes",
                    pair(
                            UNHEARD,
                            registry.get("pubsub.unheard.publishes")
                                    .tags("channel", "events:metrics:unheard")
                                    .counter()
                                    .count()));
            checks.put(
                    "redis.connected",
                    pair(1, registry.get("redis.connected").gauge().value()));
            checks.put("redis counters sent", pair(SENT + EXPIRED, inRedis.sent()));
            checks.put("redis counters deduplicated", pair(DUPLICATES, inRedis.deduplicated()));
            checks.put("redis counters acked", pair(SENT - POISON, inRedis.acked()));
            checks.put("redis counters retried", pair(FLAKY, inRedis.retried()));
            checks.put("redis counters dead_lettered", pair(POISON, inRedis.deadLettered()));
            checks.put("redis counters expired", pair(EXPIRED, inRedis.expired()));
            checks.put("agents:known", pair(1, bus.registry().known().contains(writer) ? 1 : 0));

            List<String> mismatches = new ArrayList<>();
            checks.forEach((name, expectedActual) -> {
                if (expectedActual[0] != expectedActual[1]) {
                    mismatches.add(name + " expected " + (long) expectedActual[0] + " was " + expectedActual[1]);
                }
            });
            int operations = SENT + DUPLICATES + EXPIRED + HEARD + UNHEARD;
            mismatches.forEach(mismatch -> ScenarioResult.note("metrics-exact", mismatch));
            ScenarioResult.print("metrics-exact", "operations", operations, "mismatches", mismatches.size());
            assertThat(mismatches).isEmpty();
        }
        assertThat(registry.find("redis.connected").gauge())
                .as("a closed bus removes its meters")
                .isNull();
    }

    private static Envelope broadcast(AgentId from) {
        return Envelope.builder()
                .from(from)
                .to(AgentId.of("everyone"))
                .type("note")
                .payload("{}")
                .build();
    }

    private static double[] pair(double expected, double actual) {
        return new double[] {expected, actual};
    }

    private static double sum(MeterRegistry registry, String name, String agent) {
        return registry.find(name).tag("agent", agent).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    private static Timer timer(MeterRegistry registry, String name, String agent) {
        RequiredSearch search = registry.get(name).tag("agent", agent);
        return search.timer();
    }
}
