package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every message id is sent three times within the dedup window: normally, again as after a lost
 * reply, and by a restarted producer on a new connection. The inbox stores each id once, the
 * recipient handles it once, and the two resends report {@link SendReceipt#duplicate()}.
 */
@ExtendWith(RedisServerExtension.class)
class DedupStormIT {

    @Test
    void eachMessageIdSentThreeTimesIsStoredAndHandledOnce(LocalRedis redis) throws Exception {
        int ids = Scale.of(3_000, 10_000);
        AgentId agent = freshAgent("deduped");
        Map<String, AtomicInteger> timesHandled = new ConcurrentHashMap<>();
        try (AgentBus consumer = AgentBus.connect(redis.uri());
                AgentBus producer = AgentBus.connect(redis.uri());
                AgentBus restartedProducer = AgentBus.connect(redis.uri())) {
            consumer.subscribe(
                    agent,
                    delivery -> timesHandled
                            .computeIfAbsent(delivery.envelope().messageId().value(), id -> new AtomicInteger())
                            .incrementAndGet());
            List<Envelope> envelopes = new ArrayList<>();
            for (int i = 0; i < ids; i++) {
                envelopes.add(Envelope.builder()
                        .from("dispatcher")
                        .to(agent)
                        .type("task")
                        .payload("{\"n\":" + i + "}")
                        .build());
            }

            // All three rounds are in flight together, the third on another connection, so the
            // resends race with the first sends on the server.
            List<CompletableFuture<SendReceipt>> receipts = new ArrayList<>();
            for (Envelope envelope : envelopes) {
                receipts.add(producer.send(envelope).toCompletableFuture());
            }
            for (Envelope envelope : envelopes) {
                receipts.add(producer.send(envelope).toCompletableFuture());
            }
            for (Envelope envelope : envelopes) {
                // A restarted producer rebuilds its messages from its own records: same ids, new objects.
                Envelope rebuilt = Envelope.builder()
                        .messageId(envelope.messageId())
                        .from("dispatcher")
                        .to(agent)
                        .type("task")
                        .payload(envelope.payload())
                        .build();
                receipts.add(restartedProducer.send(rebuilt).toCompletableFuture());
            }
            CompletableFuture.allOf(receipts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            long duplicatesFiltered = receipts.stream()
                    .filter(receipt -> receipt.join().duplicate())
                    .count();

            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> timesHandled.size() >= ids
                            && consumer.sync().inbox(agent).pending() == 0);
            long stored = consumer.sync().inbox(agent).length();
            long delivered = timesHandled.size();
            long handledTwice = timesHandled.values().stream()
                    .filter(times -> times.get() > 1)
                    .count();

            ScenarioResult.note(
                    "dedup-storm",
                    "ids=" + ids + " sends=" + receipts.size() + " handled_more_than_once=" + handledTwice);
            ScenarioResult.print(
                    "dedup-storm", "stored", stored, "delivered", delivered, "duplicates_filtered", duplicatesFiltered);

            assertThat(stored).as("entries stored").isEqualTo(ids);
            assertThat(delivered).as("distinct messages handled").isEqualTo(ids);
            assertThat(duplicatesFiltered).as("sends reported duplicate").isEqualTo(2L * ids);
            assertThat(handledTwice).as("messages handled more than once").isZero();
        }
    }

    @Test
    void resendAfterTheDedupWindowIsStoredAgain(LocalRedis redis) {
        AgentId agent = freshAgent("forgetful");
        BusOptions shortWindow = BusOptions.builder()
                .send(SendOptions.builder().dedupWindow(Duration.ofMillis(300)).build())
                .build();
        Envelope task = Envelope.builder()
                .from("dispatcher")
                .to(agent)
                .type("task")
                .payload("{}")
                .build();
        String dedupKey =
                "agent:{" + agent.value() + "}:dedup:" + task.messageId().value();
        try (AgentBus bus = AgentBus.connect(redis.uri(), shortWindow);
                RawRedis raw = RawRedis.connect(redis)) {
            SendReceipt first = bus.sync().send(task);
            SendReceipt withinWindow = bus.sync().send(task);

            await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> raw.commands().exists(dedupKey) == 0);
            SendReceipt afterWindow = bus.sync().send(task);

            assertThat(first.duplicate()).isFalse();
            assertThat(withinWindow.duplicate()).isTrue();
            assertThat(afterWindow.duplicate()).isFalse();
            assertThat(afterWindow.entryId()).isNotEqualTo(first.entryId());
            assertThat(bus.sync().inbox(agent).length()).isEqualTo(2);
        }
    }
}
