package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One of two instances is closed while both hold messages, with a shutdown timeout too short for
 * its queue: what it finished is acknowledged, what it did not is reclaimed by the other instance
 * after the visibility timeout, and nothing is lost.
 */
@ExtendWith(RedisServerExtension.class)
class GracefulShutdownIT {

    private static final Duration VISIBILITY = Duration.ofSeconds(1);
    private static final long WORK_MILLIS = 30;
    private static final BusOptions OPTIONS = BusOptions.builder()
            .consumer(ConsumerOptions.builder().prefetch(40).readBatchSize(10).build())
            .delivery(DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
            .build();

    @Test
    void closingOneOfTwoInstancesMidStreamLosesNothing(LocalRedis redis) throws Exception {
        int messages = Scale.of(100, 1_000);
        AgentId agent = freshAgent("closing");
        String inbox = "agent:{" + agent.value() + "}:inbox";
        Queue<Finished> finished = new ConcurrentLinkedQueue<>();
        Map<String, String> messageIdByEntry = new HashMap<>();
        // Shorter than the closing instance's queue needs (tens of messages of 30 ms each).
        BusOptions closingOptions = OPTIONS.mutate()
                .consumer(OPTIONS.consumer()
                        .mutate()
                        .shutdownTimeout(Duration.ofMillis(200))
                        .build())
                .build();

        try (RawRedis connection = RawRedis.connect(redis);
                AgentBus survivor = AgentBus.connect(redis.uri(), OPTIONS);
                AgentBus closing = AgentBus.connect(redis.uri(), closingOptions)) {
            RedisCommands<String, String> raw = connection.commands();
            Subscription closingInstance = closing.subscribe(agent, recording("closing", finished));
            survivor.subscribe(agent, recording("survivor", finished));

            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                sends.add(survivor.send(Envelope.builder()
                                .from("dispatcher")
                                .to(agent)
                                .type("task")
                                .payload("{\"n\":" + i + "}")
                                .build())
                        .toCompletableFuture());
            }
            for (CompletableFuture<SendReceipt> send : sends) {
                SendReceipt receipt = send.get(10, TimeUnit.SECONDS);
                messageIdByEntry.put(receipt.entryId(), receipt.messageId().value());
            }
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> finished.stream()
                                            .filter(f -> f.instance().equals("closing"))
                                            .count()
                                    >= 5
                            && finished.stream().anyMatch(f -> f.instance().equals("survivor")));

            Set<String> inFlight = entriesOf(raw, inbox, closingInstance.consumer());
            long closeStarted = System.nanoTime();
            closing.close();
            long closeMillis =
                    Duration.ofNanos(System.nanoTime() - closeStarted).toMillis();
            Set<String> leftPending = entriesOf(raw, inbox, closingInstance.consumer());

            // The survivor may be left to handle nearly all of them alone, some twice.
            Duration budget = Duration.ofMillis(3L * messages * WORK_MILLIS).plusSeconds(30);
            try {
                await().atMost(budget)
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> raw.xpending(inbox, "agentbus").getCount() == 0
                                && finished.stream()
                                        .map(Finished::messageId)
                                        .collect(Collectors.toSet())
                                        .containsAll(messageIdByEntry.values()));
            } catch (ConditionTimeoutException e) {
                ScenarioResult.note("graceful-shutdown", "gave up waiting: " + e.getMessage());
            }

            Set<String> finishedByClosing = idsFinishedBy(finished, "closing");
            // Whatever the attempt: while leases of queued messages lapse (see SlowConsumerIT), the
            // closing instance can take over a message the survivor still has queued, and the
            // survivor then hands it to its handler as the attempt it read it with, 1.
            Set<String> reclaimedBySurvivor = idsFinishedBy(finished, "survivor");
            Set<String> acked = inFlight.stream()
                    .filter(entry -> !leftPending.contains(entry))
                    .map(messageIdByEntry::get)
                    .filter(finishedByClosing::contains)
                    .collect(Collectors.toSet());
            Set<String> reclaimed = inFlight.stream()
                    .map(messageIdByEntry::get)
                    .filter(reclaimedBySurvivor::contains)
                    .collect(Collectors.toSet());
            Set<String> everFinished =
                    finished.stream().map(Finished::messageId).collect(Collectors.toSet());
            Set<String> lost = new HashSet<>();
            inFlight.stream()
                    .map(messageIdByEntry::get)
                    .filter(id -> !acked.contains(id) && !reclaimed.contains(id))
                    .forEach(lost::add);
            messageIdByEntry.values().stream()
                    .filter(id -> !everFinished.contains(id))
                    .forEach(lost::add);
            entriesOf(raw, inbox).stream().map(messageIdByEntry::get).forEach(lost::add);
            long finishedButLeftPending = leftPending.stream()
                    .map(messageIdByEntry::get)
                    .filter(finishedByClosing::contains)
                    .count();
            long handledTwice = finished.stream()
                    .collect(Collectors.groupingBy(Finished::messageId, Collectors.counting()))
                    .values()
                    .stream()
                    .filter(times -> times > 1)
                    .count();

            ScenarioResult.note(
                    "graceful-shutdown",
                    "messages=" + messages + " close_ms=" + closeMillis
                            + " left_pending_by_close=" + leftPending.size() + " finished_by_closing_but_left_pending="
                            + finishedButLeftPending + " handled_more_than_once=" + handledTwice
                            + " dead_letters=" + survivor.deadLetters(agent).count());
            ScenarioResult.print(
                    "graceful-shutdown",
                    "in_flight",
                    inFlight.size(),
                    "acked",
                    acked.size(),
                    "reclaimed",
                    reclaimed.size(),
                    "lost",
                    lost.size());

            assertThat(inFlight).as("messages the closing instance held").isNotEmpty();
            assertThat(leftPending)
                    .as("messages its short shutdown timeout left for reclaim")
                    .isNotEmpty();
            assertThat(lost).as("messages lost").isEmpty();
            assertThat(acked.size() + reclaimed.size())
                    .as("in-flight messages acked by the closing instance or reclaimed")
                    .isGreaterThanOrEqualTo(inFlight.size());
        }
    }

    /**
     * {@link AgentBus#close()} promises to acknowledge what finished. A handler that outlives the
     * shutdown timeout (here one that ignores interrupts, as a hung call into a library might) must
     * not keep the messages handled before it from being acknowledged.
     */
    @Test
    void closeAcknowledgesWhatFinishedEvenWhenAHandlerOutlivesTheShutdownTimeout(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("hung");
        String inbox = "agent:{" + agent.value() + "}:inbox";
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder()
                        .prefetch(10)
                        .readBatchSize(10)
                        .shutdownTimeout(Duration.ofMillis(300))
                        .build())
                .build();
        CountDownLatch hung = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> returned = new CopyOnWriteArrayList<>();
        try (RawRedis connection = RawRedis.connect(redis);
                AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            List<String> entries = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                entries.add(bus.sync()
                        .send(Envelope.builder()
                                .from("dispatcher")
                                .to(agent)
                                .type("task")
                                .payload("{\"n\":" + i + "}")
                                .build())
                        .entryId());
            }
            bus.subscribe(agent, delivery -> {
                switch (delivery.envelope().payload()) {
                    case "{\"n\":0}" -> Thread.sleep(100); // long enough for the other four to queue behind it
                    case "{\"n\":2}" -> {
                        hung.countDown();
                        awaitIgnoringInterrupts(release);
                    }
                    default -> {}
                }
                returned.add(delivery.entryId());
            });
            try {
                assertThat(hung.await(10, TimeUnit.SECONDS)).isTrue();

                bus.close();

                assertThat(returned).containsExactly(entries.get(0), entries.get(1));
                assertThat(entriesOf(connection.commands(), inbox))
                        .as("entries still pending after close")
                        .doesNotContain(entries.get(0), entries.get(1))
                        .contains(entries.get(2), entries.get(3), entries.get(4));
            } finally {
                release.countDown();
            }
        }
    }

    /**
     * A handler that is running when the bus closes finishes its work, sending included: close() lets it
     * run, so a request's reply or a message to the next agent goes out and the message is acknowledged.
     * (Found failing: close() refused every send at once, so the reply of a request answered during
     * shutdown failed with "bus is closed" and the request was retried by another instance.)
     */
    @Test
    void aHandlerRunningWhileTheBusClosesStillSends(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("closing-worker");
        AgentId next = freshAgent("next");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AgentBus bus = AgentBus.connect(redis.uri(), OPTIONS);
        bus.subscribe(worker, delivery -> {
            started.countDown();
            awaitIgnoringInterrupts(release);
            bus.sync()
                    .send(Envelope.builder()
                            .from(worker)
                            .to(next)
                            .type("handoff")
                            .payload(delivery.envelope().payload())
                            .build());
        });
        bus.sync()
                .send(Envelope.builder()
                        .from("dispatcher")
                        .to(worker)
                        .type("task")
                        .payload("{\"n\":1}")
                        .build());
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(bus::close);
        Thread.sleep(200); // close() is waiting for the handler now
        release.countDown();
        closing.get(10, TimeUnit.SECONDS);

        try (AgentBus inspector = AgentBus.connect(redis.uri())) {
            assertThat(inspector.sync().inbox(next).length())
                    .as("the handoff sent during close")
                    .isEqualTo(1);
            assertThat(inspector.sync().inbox(worker).pending())
                    .as("the task, acknowledged")
                    .isZero();
            assertThat(inspector.deadLetters(worker).count()).isZero();
        }
    }

    private static void awaitIgnoringInterrupts(CountDownLatch latch) {
        while (true) {
            try {
                if (latch.await(30, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                // hung: deaf to the interrupt that close() sends after its shutdown timeout
            }
        }
    }

    private static Set<String> entriesOf(RedisCommands<String, String> raw, String inbox) {
        return raw.xpending(inbox, "agentbus", Range.create("-", "+"), Limit.from(10_000)).stream()
                .map(PendingMessage::getId)
                .collect(Collectors.toCollection(HashSet::new));
    }

    private static Set<String> entriesOf(RedisCommands<String, String> raw, String inbox, String consumer) {
        return raw
                .xpending(inbox, Consumer.from("agentbus", consumer), Range.create("-", "+"), Limit.from(10_000))
                .stream()
                .map(PendingMessage::getId)
                .collect(Collectors.toCollection(HashSet::new));
    }

    private static Set<String> idsFinishedBy(Queue<Finished> finished, String instance) {
        return finished.stream()
                .filter(f -> f.instance().equals(instance))
                .map(Finished::messageId)
                .collect(Collectors.toSet());
    }

    private static MessageHandler recording(String instance, Queue<Finished> finished) {
        return delivery -> {
            Thread.sleep(WORK_MILLIS); // the handler's work
            finished.add(new Finished(delivery.envelope().messageId().value(), instance, delivery.attempt()));
        };
    }

    /** A handler that returned normally. */
    record Finished(String messageId, String instance, int attempt) {}
}
