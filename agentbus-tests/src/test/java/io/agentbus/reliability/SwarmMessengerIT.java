package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.SwarmOptions;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmMessengerIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    // Short delivery times, so that a retry comes back within tenths of a second.
    private static final BusOptions QUICK = BusOptions.builder()
            .delivery(DeliveryOptions.builder()
                    .visibilityTimeout(Duration.ofMillis(800))
                    .backoff(Backoff.exponential(Duration.ofMillis(50), Duration.ofMillis(200)))
                    .build())
            .build();

    @Test
    void historyKeepsTheNewestHundredOfAPairAndReplaysThemInOrder(LocalRedis redis) throws Exception {
        String from = freshName("research");
        String to = freshName("build");
        int sent = 250;
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK);
                RawRedis raw = RawRedis.connect(redis)) {
            SwarmMessenger messenger = bus.swarms().messenger();
            RecordingHandler receiver = RecordingHandler.acking();
            messenger.receive(to, receiver);

            List<MessageId> ids = new ArrayList<>();
            for (int i = 0; i < sent; i++) {
                ids.add(messenger
                        .send(from, to, "finding", "{\"n\":" + i + "}")
                        .toCompletableFuture()
                        .get(5, TimeUnit.SECONDS)
                        .messageId());
            }
            Set<MessageId> received = Set.copyOf(receiver.await(sent, WAIT).stream()
                    .map(d -> d.envelope().messageId())
                    .toList());
            String stream = "message:" + from + ":{" + to + "}";
            await().atMost(WAIT)
                    .until(() -> raw.commands().xpending(stream, "swarm").getCount() == 0);
            // The trim after the next send finds everything settled, and keeps the bound.
            ids.add(messenger
                    .send(from, to, "finding", "{\"n\":" + sent + "}")
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS)
                    .messageId());

            long retained = raw.commands().xlen(stream);
            List<SwarmMessenger.Entry> replayed = replay(messenger, from, to);
            ScenarioResult.print(
                    "messenger-history",
                    "sent",
                    ids.size(),
                    "retained",
                    retained,
                    "replayed",
                    replayed.size(),
                    "lost",
                    sent - received.size());
            assertThat(received).hasSize(sent).containsAll(ids.subList(0, sent));
            assertThat(retained).isEqualTo(SwarmOptions.DEFAULT_MESSAGE_HISTORY);
            assertThat(replayed.stream().map(entry -> entry.message().messageId()))
                    .containsExactlyElementsOf(ids.subList(ids.size() - 100, ids.size()));
            assertThat(messenger.history(from, to, 10).stream()
                            .map(entry -> entry.message().messageId()))
                    .containsExactlyElementsOf(ids.subList(ids.size() - 10, ids.size()));
            assertThat(replayed).allSatisfy(entry -> {
                assertThat(entry.message().fromAgent().value()).isEqualTo(from);
                assertThat(entry.message().messageType()).isEqualTo("finding");
            });
        }
    }

    @Test
    void entriesNotReceivedOrStillPendingAreNeverTrimmed(LocalRedis redis) throws Exception {
        String from = freshName("coordinator");
        String to = freshName("workers");
        String stream = "message:" + from + ":{" + to + "}";
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK);
                RawRedis raw = RawRedis.connect(redis)) {
            SwarmMessenger messenger = bus.swarms().messenger();
            send(messenger, from, to, 150); // nobody receives yet: the send made the group, nothing was delivered

            assertThat(raw.commands().xlen(stream)).isEqualTo(150);

            CountDownLatch release = new CountDownLatch(1);
            RecordingHandler recorder = RecordingHandler.acking();
            messenger.receive(to, delivery -> {
                release.await();
                recorder.handle(delivery);
            });
            await().atMost(WAIT)
                    .until(() -> raw.commands().xpending(stream, "swarm").getCount() > 0);
            send(messenger, from, to, 50);
            assertThat(raw.commands().xlen(stream)).isEqualTo(200); // pending or undelivered: all kept

            release.countDown();
            assertThat(recorder.await(200, WAIT)).hasSize(200);
            await().atMost(WAIT)
                    .until(() -> raw.commands().xpending(stream, "swarm").getCount() == 0);
            send(messenger, from, to, 1);
            assertThat(raw.commands().xlen(stream)).isEqualTo(100);
        }
    }

    @Test
    void twoSwarmsExchangeAckedMessagesAndAReceiverFindsASenderThatCameLater(LocalRedis redis) throws Exception {
        String alpha = freshName("alpha");
        String beta = freshName("beta");
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK);
                RawRedis raw = RawRedis.connect(redis)) {
            SwarmMessenger messenger = bus.swarms().messenger();
            Map<MessageId, Integer> attempts = new ConcurrentHashMap<>();
            RecordingHandler atAlpha = RecordingHandler.acking();
            RecordingHandler atBeta = RecordingHandler.acking();
            messenger.receive(alpha, atAlpha);
            messenger.receive(beta, delivery -> {
                attempts.merge(delivery.envelope().messageId(), 1, Integer::sum);
                if (delivery.attempt() == 1 && delivery.envelope().payload().contains("\"flaky\":true")) {
                    throw new IllegalStateException("transient failure, retried");
                }
                atBeta.handle(delivery);
            });

            // Both senders appear only now, after the receivers started.
            MessageId flaky = messenger
                    .send(Envelope.builder()
                            .from(alpha)
                            .to(beta)
                            .type("handoff")
                            .payload(Map.of("flaky", true))
                            .build())
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS)
                    .messageId();
            messenger
                    .send(alpha, beta, "handoff", "{\"n\":1}")
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            messenger
                    .send(beta, alpha, "result", "{\"n\":2}")
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);

            assertThat(atBeta.await(2, WAIT))
                    .extracting(d -> d.envelope().fromAgent().value())
                    .containsOnly(alpha);
            assertThat(atAlpha.await(1, WAIT))
                    .extracting(d -> d.envelope().messageType())
                    .containsExactly("result");
            assertThat(attempts.get(flaky)).isEqualTo(2);
            await().atMost(WAIT)
                    .until(() -> raw.commands()
                                            .xpending("message:" + alpha + ":{" + beta + "}", "swarm")
                                            .getCount()
                                    == 0
                            && raw.commands()
                                            .xpending("message:" + beta + ":{" + alpha + "}", "swarm")
                                            .getCount()
                                    == 0);
            assertThat(messenger.senders(beta)).containsExactly(alpha);
            assertThat(raw.commands().smembers("swarm:{" + alpha + "}:senders")).containsExactly(beta);
            assertThatThrownBy(() -> messenger.receive(beta, RecordingHandler.acking()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(beta);
        }
    }

    private static List<SwarmMessenger.Entry> replay(SwarmMessenger messenger, String from, String to) {
        List<SwarmMessenger.Entry> all = new ArrayList<>();
        String after = "0-0";
        List<SwarmMessenger.Entry> page;
        while (!(page = messenger.historyAfter(from, to, after, 30)).isEmpty()) {
            all.addAll(page);
            after = page.get(page.size() - 1).entryId();
        }
        return all;
    }

    private static void send(SwarmMessenger messenger, String from, String to, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            messenger
                    .send(from, to, "task", "{\"n\":" + i + "}")
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
        }
    }
}
