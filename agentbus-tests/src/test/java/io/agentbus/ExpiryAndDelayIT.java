package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class ExpiryAndDelayIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void expiredMessagesGoToDeadLettersInsteadOfTheHandler(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("expiring");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            Envelope stale = Envelope.builder()
                    .from("cmo")
                    .to(agent)
                    .type("offer")
                    .payload("{}")
                    .timestamp(Instant.now().minusSeconds(60))
                    .ttl(Duration.ofSeconds(30))
                    .build();
            Envelope fresh = Envelope.builder()
                    .from("cmo")
                    .to(agent)
                    .type("offer")
                    .payload("{}")
                    .ttl(Duration.ofMinutes(5))
                    .build();
            bus.sync().send(stale);
            bus.sync().send(fresh);
            RecordingHandler handler = RecordingHandler.acking();

            bus.subscribe(agent, handler);

            assertThat(handler.await(1, WAIT).get(0).envelope().messageId()).isEqualTo(fresh.messageId());
            await().atMost(WAIT).until(() -> bus.deadLetters(agent).count() == 1);
            DeadLetter dead =
                    bus.deadLetters(agent).find(stale.messageId().value()).orElseThrow();
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.EXPIRED);
            assertThat(bus.sync().inbox(agent).deadLetters()).isEqualTo(1);
            assertThat(handler.deliveries()).hasSize(1);
        }
    }

    @Test
    void expiredMessagesCanBeDroppedAndCountedInstead(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("dropping");
        List<Envelope> dropped = new CopyOnWriteArrayList<>();
        BusOptions options = BusOptions.builder()
                .listener(new BusListener() {
                    @Override
                    public void expired(Envelope message, boolean deadLettered) {
                        if (!deadLettered) {
                            dropped.add(message);
                        }
                    }
                })
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("offer")
                            .payload("{}")
                            .expiresAt(Instant.now().minusSeconds(1))
                            .build());

            bus.subscribe(
                    agent,
                    DeliveryOptions.builder()
                            .onExpiry(DeliveryOptions.OnExpiry.DROP)
                            .build(),
                    RecordingHandler.acking());

            await().atMost(WAIT)
                    .until(() -> dropped.size() == 1 && bus.sync().inbox(agent).pending() == 0);
            assertThat(bus.deadLetters(agent).count()).isZero();
        }
    }

    @Test
    void aDelayedMessageArrivesAfterItsDelayAndNotBefore(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("patient");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(agent, handler);
            Envelope reminder = Envelope.builder()
                    .from("cmo")
                    .to(agent)
                    .type("reminder")
                    .payload("{}")
                    .build();
            Instant due = Instant.now().plusMillis(1500);

            SendReceipt receipt = bus.send(reminder, due).toCompletableFuture().join();

            assertThat(receipt.entryId()).isEmpty();
            assertThat(bus.sync().inbox(agent).delayed()).isEqualTo(1);
            Delivery delivery = handler.await(1, WAIT).get(0);
            assertThat(delivery.receivedAt()).isAfterOrEqualTo(due.minusMillis(50)); // server vs JVM clock
            assertThat(delivery.envelope()).isEqualTo(reminder);
            assertThat(bus.send(reminder, Duration.ofSeconds(1))
                            .toCompletableFuture()
                            .join()
                            .duplicate())
                    .isTrue();
        }
    }
}
