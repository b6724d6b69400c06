package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class PriorityIT {

    /** The measurable rule: a critical message overtakes a backlog within the next read batch. */
    @Test
    void aCriticalMessageOvertakesABacklogWithinTheNextReadBatch(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("backlogged");
        int backlog = 1_000;
        BusOptions options = BusOptions.defaults();
        List<String> handled = new CopyOnWriteArrayList<>();
        CountDownLatch urgentHandled = new CountDownLatch(1);
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            for (int i = 0; i < backlog; i++) {
                sends.add(bus.send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("routine")
                                .payload("{}")
                                .build())
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
            CountDownLatch firstHandled = new CountDownLatch(1);
            bus.subscribe(agent, delivery -> {
                handled.add(delivery.envelope().messageType());
                firstHandled.countDown();
                if (delivery.envelope().messageType().equals("escalation")) {
                    urgentHandled.countDown();
                }
                Thread.sleep(1); // a consumer that has work to do, so the backlog is still there
            });
            assertThat(firstHandled.await(10, TimeUnit.SECONDS)).isTrue();

            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("escalation")
                            .payload("{}")
                            .priority(Priority.CRITICAL)
                            .build());

            assertThat(urgentHandled.await(10, TimeUnit.SECONDS)).isTrue();
            int handledBefore = handled.indexOf("escalation");
            // What the instance held when the escalation arrived (at most prefetch) plus one batch.
            int batchesUntilHandled =
                    (int) Math.ceil((double) handledBefore / options.consumer().readBatchSize());
            ScenarioResult.print("priority-overtake", "backlog", backlog, "batches_until_handled", batchesUntilHandled);
            assertThat(handledBefore)
                    .isLessThanOrEqualTo(
                            options.consumer().prefetch() + options.consumer().readBatchSize());
            assertThat(handledBefore).isLessThan(backlog / 2);
        }
    }

    @Test
    void eachSendersOrderIsKeptWithinAPriority(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("ordered");
        int senders = 10;
        int perSender = Scale.of(2_000, 2_000);
        Map<String, List<Integer>> seen = new HashMap<>();
        CountDownLatch all = new CountDownLatch(senders * perSender);
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(agent, delivery -> {
                Envelope message = delivery.envelope();
                synchronized (seen) {
                    seen.computeIfAbsent(message.fromAgent().value(), s -> new ArrayList<>())
                            .add(Integer.parseInt(message.payload().replaceAll("\\D", "")));
                }
                all.countDown();
            });
            Semaphore inFlight = new Semaphore(1_000);
            for (int n = 0; n < perSender; n++) {
                for (int s = 0; s < senders; s++) {
                    // One priority per sender, across all three bands: order holds within each.
                    int priority = 1 + s % 9;
                    inFlight.acquire();
                    bus.send(Envelope.builder()
                                    .from("sender" + s)
                                    .to(agent)
                                    .type("step")
                                    .payload(Map.of("n", n))
                                    .priority(priority)
                                    .build())
                            .whenComplete((receipt, failure) -> inFlight.release());
                }
            }
            inFlight.acquire(1_000);

            assertThat(all.await(60, TimeUnit.SECONDS)).isTrue();
            long inversions = 0;
            for (List<Integer> sequence : seen.values()) {
                for (int i = 1; i < sequence.size(); i++) {
                    inversions += sequence.get(i) < sequence.get(i - 1) ? 1 : 0;
                }
            }
            ScenarioResult.print(
                    "per-sender-order", "senders", senders, "messages", senders * perSender, "inversions", inversions);
            assertThat(inversions).isZero();
        }
    }
}
