package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.embedded.LocalRedis;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Delayed messages survive a restart of Redis (AOF) and are moved exactly once by competing movers. */
class DelayedRestartIT {

    @Test
    void delayedMessagesAreDeliveredOnceAcrossARestartWithTwoMovers() throws Exception {
        AgentId agent = freshAgent("scheduled");
        int scheduled = Scale.of(2_000, 10_000);
        Map<MessageId, Integer> delivered = new ConcurrentHashMap<>();
        Set<MessageId> sent = new HashSet<>();
        try (LocalRedis redis = LocalRedis.builder()
                        .args("--appendonly", "yes", "--appendfsync", "always")
                        .start();
                AgentBus first = AgentBus.connect(redis.uri(), RedisKillIT.QUICK);
                AgentBus second = AgentBus.connect(redis.uri(), RedisKillIT.QUICK)) {
            // Two instances: both run the mover, both consume.
            first.subscribe(
                    agent, delivery -> delivered.merge(delivery.envelope().messageId(), 1, Integer::sum));
            second.subscribe(
                    agent, delivery -> delivered.merge(delivery.envelope().messageId(), 1, Integer::sum));
            for (int i = 0; i < scheduled; i++) {
                Envelope message = Envelope.builder()
                        .from("cmo")
                        .to(agent)
                        .type("reminder")
                        .payload(Map.of("n", i))
                        .build();
                sent.add(message.messageId());
                // Spread over 0.5-3.5 s, so some are due before the restart and some after.
                first.send(message, Duration.ofMillis(500 + (i * 3000L / scheduled)))
                        .toCompletableFuture()
                        .join();
            }
            Thread.sleep(1500); // mid-way through the due times
            redis.kill();
            redis.restart();

            RedisKillIT.awaitQuietly(() -> delivered.keySet().containsAll(sent)
                    && first.sync().inbox(agent).pending() == 0);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> first.sync().inbox(agent).pending() == 0);
            long lost = sent.stream().filter(id -> !delivered.containsKey(id)).count();
            long duplicated =
                    delivered.values().stream().mapToLong(times -> times - 1).sum();

            ScenarioResult.print(
                    "delayed-restart",
                    "scheduled",
                    sent.size(),
                    "delivered",
                    delivered.size(),
                    "lost",
                    lost,
                    "duplicated",
                    duplicated);
            assertThat(lost).isZero();
            // Only a message read but not yet acked at the kill can come again (at least once), never a
            // second move: at most what the two instances can hold at once.
            assertThat(duplicated).isLessThanOrEqualTo(2L * ConsumerOptions.DEFAULT_PREFETCH);
        }
    }
}
