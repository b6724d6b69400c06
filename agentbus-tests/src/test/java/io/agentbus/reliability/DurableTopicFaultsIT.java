package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.KillArgs;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A durable topic keeps every group whole through connection kills and offline periods. */
@ExtendWith(RedisServerExtension.class)
class DurableTopicFaultsIT {

    private static final List<AgentId> GROUPS =
            List.of(AgentId.of("seo_specialist"), AgentId.of("copywriter"), AgentId.of("data_analyst"));

    @Test
    void everyGroupReceivesEverythingWhileItsConnectionsAreKilled(LocalRedis redis) throws Exception {
        String name = "kills-" + System.nanoTime();
        int published = Scale.of(2_000, 10_000);
        int kills = 10;
        Map<AgentId, Map<MessageId, Integer>> received = new ConcurrentHashMap<>();
        Set<MessageId> sent = ConcurrentHashMap.newKeySet();
        try (RawRedis admin = RawRedis.connect(redis);
                AgentBus bus = AgentBus.connect(redis.uri(), RedisKillIT.QUICK)) {
            DurableTopic topic = bus.topic(name);
            for (AgentId group : GROUPS) {
                Map<MessageId, Integer> seen = received.computeIfAbsent(group, g -> new ConcurrentHashMap<>());
                topic.subscribe(
                        group,
                        DurableTopic.StartFrom.NOW,
                        delivery -> seen.merge(delivery.envelope().messageId(), 1, Integer::sum));
            }
            AtomicLong killed = new AtomicLong();
            for (int i = 0; i < published; i++) {
                Envelope message = Envelope.builder()
                        .from("cmo")
                        .to(name)
                        .type("event")
                        .payload(Map.of("n", i))
                        .build();
                publishUntilStored(topic, message);
                sent.add(message.messageId());
                if (i % (published / kills) == published / kills / 2) {
                    // Every connection of the bus at once: commands and readers.
                    killed.addAndGet(admin.commands()
                            .clientKill(KillArgs.Builder.typeNormal().skipme()));
                }
            }
            boolean complete = RedisKillIT.awaitQuietly(() -> GROUPS.stream()
                    .allMatch(group -> received.get(group).keySet().containsAll(sent)));
            long lost = GROUPS.stream()
                    .mapToLong(group -> sent.stream()
                            .filter(id -> !received.get(group).containsKey(id))
                            .count())
                    .sum();
            long duplicated = received.values().stream()
                    .flatMap(seen -> seen.values().stream())
                    .mapToLong(times -> times - 1)
                    .sum();

            ScenarioResult.print(
                    "durable-topic-kills",
                    "groups",
                    GROUPS.size(),
                    "published",
                    sent.size(),
                    "lost",
                    lost,
                    "duplicated",
                    duplicated);
            assertThat(killed.get()).isGreaterThanOrEqualTo(kills);
            assertThat(complete).isTrue();
            assertThat(lost).isZero();
        }
    }

    @Test
    void aGroupOfflineDuringPublishesReceivesAllOfThemAfterItReturns(LocalRedis redis) throws Exception {
        String name = "offline-" + System.nanoTime();
        AgentId group = AgentId.of("data_analyst");
        int published = 5_000;
        Map<MessageId, Integer> received = new ConcurrentHashMap<>();
        Set<MessageId> sent = ConcurrentHashMap.newKeySet();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            DurableTopic topic = bus.topic(name);
            topic.subscribe(group, DurableTopic.StartFrom.NOW, delivery -> {}).close();
            for (int i = 0; i < published; i++) {
                Envelope message = Envelope.builder()
                        .from("cmo")
                        .to(name)
                        .type("event")
                        .payload(Map.of("n", i))
                        .build();
                topic.publish(message);
                sent.add(message.messageId());
            }

            topic.subscribe(
                    group,
                    DurableTopic.StartFrom.NOW,
                    delivery -> received.merge(delivery.envelope().messageId(), 1, Integer::sum));
            RedisKillIT.awaitQuietly(() -> received.keySet().containsAll(sent));

            ScenarioResult.print("durable-topic-offline-group", "published", sent.size(), "received", received.size());
            assertThat(received.keySet()).isEqualTo(sent);
        }
    }

    private static void publishUntilStored(DurableTopic topic, Envelope message) throws InterruptedException {
        while (true) {
            try {
                topic.publish(message).toCompletableFuture().join();
                return;
            } catch (RuntimeException e) {
                Thread.sleep(20); // the connection was just killed; the same id is stored once (dedup)
            }
        }
    }
}
