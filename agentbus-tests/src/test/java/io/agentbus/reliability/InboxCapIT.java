package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxFullException;
import io.agentbus.Retention;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An inbox cap pushes back on senders; it never makes room by dropping work that is pending. */
@ExtendWith(RedisServerExtension.class)
class InboxCapIT {

    @Test
    void aFullInboxRefusesSendsTypedAndKeepsEveryPendingEntry(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("capped");
        int cap = 1_000;
        int stalled = 500;
        int sends = 10_000;
        BusOptions capped = BusOptions.builder()
                .send(SendOptions.builder().maxInboxLength(cap).build())
                .consumer(ConsumerOptions.builder()
                        .inboxRetention(Retention.maxLength(100))
                        .prefetch(stalled)
                        .readBatchSize(1)
                        .build())
                .build(); // reads one at a time: holds exactly 500
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger holding = new AtomicInteger();
        try (RawRedis raw = RawRedis.connect(redis);
                AgentBus consumer = AgentBus.connect(redis.uri(), capped);
                AgentBus producer = AgentBus.connect(redis.uri(), capped)) {
            // A stalled consumer: it reads 500 entries and sits on them (the first blocks, 499 queue).
            consumer.subscribe(agent, delivery -> {
                holding.incrementAndGet();
                release.await(60, TimeUnit.SECONDS);
            });
            AtomicLong rejected = new AtomicLong();
            AtomicLong untyped = new AtomicLong();
            for (int i = 0; i < sends; i++) {
                try {
                    producer.send(Envelope.builder()
                                    .from("cmo")
                                    .to(agent)
                                    .type("task")
                                    .payload(Map.of("n", i))
                                    .build())
                            .toCompletableFuture()
                            .join();
                } catch (CompletionException e) {
                    (e.getCause() instanceof InboxFullException ? rejected : untyped).incrementAndGet();
                }
                if (i == stalled) {
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> consumer.sync().inbox(agent).pending() == stalled);
                }
            }
            String inbox = "agent:{" + agent.value() + "}:inbox";
            List<PendingMessage> pending =
                    raw.commands().xpending(inbox, "agentbus", Range.create("-", "+"), Limit.from(cap));
            long nilBodies = pending.stream()
                    .filter(entry -> raw.commands()
                            .xrange(inbox, Range.create(entry.getId(), entry.getId()))
                            .isEmpty())
                    .count();
            long stored = raw.commands().xlen(inbox);
            long trimLost = stalled - pending.size();

            ScenarioResult.print(
                    "inbox-cap",
                    "sends",
                    sends,
                    "rejected",
                    rejected.get(),
                    "trim_lost",
                    trimLost,
                    "nil_bodies",
                    nilBodies,
                    "untyped_errors",
                    untyped.get());
            assertThat(untyped.get()).isZero();
            assertThat(trimLost).isZero();
            assertThat(nilBodies).isZero();
            assertThat(stored).isEqualTo(cap);
            assertThat(rejected.get()).isEqualTo(sends - cap);
            release.countDown();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> consumer.sync().inbox(agent).pending() == 0 && holding.get() == cap);
        } finally {
            release.countDown();
        }
    }
}
