package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class DirectMessagingIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void sentMessageIsHandledAndAcked(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("worker");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);

            Envelope task = Envelope.builder()
                    .from("cmo")
                    .to(worker)
                    .type("task_assignment")
                    .payload("{\"brief\":\"launch post\"}")
                    .priority(Priority.HIGH)
                    .build();
            SendReceipt receipt = bus.sync().send(task);

            Delivery delivery = handler.await(1, WAIT).get(0);
            assertThat(delivery.envelope()).isEqualTo(task);
            assertThat(delivery.attempt()).isEqualTo(1);
            assertThat(delivery.entryId()).isEqualTo(receipt.entryId());
            await().atMost(WAIT).until(() -> bus.sync().inbox(worker).pending() == 0);
            assertThat(bus.sync().inbox(worker).length()).isEqualTo(1);
        }
    }

    @Test
    void twoInstancesShareAThousandMessagesEachHandledOnce(LocalRedis redis) throws Exception {
        AgentId copywriter = freshAgent("copywriter");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler first = RecordingHandler.acking();
            RecordingHandler second = RecordingHandler.acking();
            Subscription one = bus.subscribe(copywriter, first);
            Subscription two = bus.subscribe(copywriter, second);

            Set<MessageId> sent = new HashSet<>();
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Envelope envelope = Envelope.builder()
                        .from("content_manager")
                        .to(copywriter)
                        .type("task_assignment")
                        .payload(Map.of("n", i))
                        .build();
                sent.add(envelope.messageId());
                sends.add(bus.send(envelope).toCompletableFuture());
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

            await().atMost(WAIT)
                    .until(() -> first.deliveries().size() + second.deliveries().size() >= 1000);
            Map<MessageId, Integer> seen = new ConcurrentHashMap<>(first.timesSeen());
            second.timesSeen().forEach((id, times) -> seen.merge(id, times, Integer::sum));
            assertThat(seen.keySet()).isEqualTo(sent);
            assertThat(seen.values()).allMatch(times -> times == 1);
            assertThat(one.consumer()).isNotEqualTo(two.consumer());
            await().atMost(WAIT).until(() -> bus.sync().inbox(copywriter).pending() == 0);
        }
    }

    @Test
    void competingInstancesInTwoProcessesBothGetWork(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("worker");
        try (AgentBus processA = AgentBus.connect(redis.uri());
                AgentBus processB = AgentBus.connect(redis.uri())) {
            RecordingHandler a = RecordingHandler.acking();
            RecordingHandler b = RecordingHandler.acking();
            // Each message takes a millisecond, as real work does: an instance that could ack at once
            // might legitimately read and finish a whole burst before the other one's read is served.
            processA.subscribe(worker, delivery -> {
                Thread.sleep(1);
                a.handle(delivery);
            });
            processB.subscribe(worker, delivery -> {
                Thread.sleep(1);
                b.handle(delivery);
            });

            for (int i = 0; i < 400; i++) {
                processA.send(Envelope.builder()
                        .from("cmo")
                        .to(worker)
                        .type("task")
                        .payload("{}")
                        .build());
            }

            await().atMost(WAIT)
                    .until(() -> a.deliveries().size() + b.deliveries().size() == 400);
            assertThat(a.deliveries()).isNotEmpty();
            assertThat(b.deliveries()).isNotEmpty();
        }
    }

    @Test
    void messagesSentBeforeAnyoneSubscribedAreDelivered(LocalRedis redis) throws Exception {
        AgentId late = freshAgent("late");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(late)
                            .type("task")
                            .payload("{\"n\":1}")
                            .build());
            assertThat(bus.sync().inbox(late).groupExists()).isFalse();

            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(late, handler);

            assertThat(handler.await(1, WAIT).get(0).envelope().payload()).isEqualTo("{\"n\":1}");
        }
    }

    @Test
    void handlerExceptionLeavesTheMessagePendingAndTheConsumerAlive(LocalRedis redis) throws Exception {
        AgentId flaky = freshAgent("flaky");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler failing = RecordingHandler.throwing(new IllegalStateException("boom"));
            Subscription subscription = bus.subscribe(flaky, failing);

            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(flaky)
                            .type("task")
                            .payload("{}")
                            .build());
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(flaky)
                            .type("task")
                            .payload("{}")
                            .build());

            failing.await(2, WAIT);
            InboxStats stats = bus.sync().inbox(flaky);
            assertThat(stats.pending()).isEqualTo(2);
            assertThat(stats.consumers())
                    .extracting(InboxStats.ConsumerStats::name)
                    .contains(subscription.consumer());
            assertThat(stats.oldestPendingAge()).isPresent();
        }
    }

    @Test
    void closeLetsTheRunningHandlerFinishAndAcksIt(LocalRedis redis) throws Exception {
        AgentId slow = freshAgent("slow");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AgentBus bus = AgentBus.connect(redis.uri());
        bus.subscribe(slow, delivery -> {
            started.countDown();
            release.await();
        });
        bus.sync()
                .send(Envelope.builder()
                        .from("cmo")
                        .to(slow)
                        .type("task")
                        .payload("{}")
                        .build());
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(bus::close);
        release.countDown();
        closing.get(10, TimeUnit.SECONDS);

        try (AgentBus observer = AgentBus.connect(redis.uri())) {
            InboxStats stats = observer.sync().inbox(slow);
            assertThat(stats.pending()).isZero();
            // A cleanly closed instance with nothing pending leaves no consumer behind.
            assertThat(stats.consumers()).isEmpty();
        }
    }

    @Test
    void closingFromInsideTheHandlerStopsAfterThatMessage(LocalRedis redis) throws Exception {
        AgentId once = freshAgent("once");
        BusOptions oneAtATime = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), oneAtATime)) {
            for (int i = 0; i < 3; i++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(once)
                                .type("task")
                                .payload(Map.of("n", i))
                                .build());
            }
            List<String> handled = new ArrayList<>();
            Subscription[] self = new Subscription[1];
            CountDownLatch done = new CountDownLatch(1);
            self[0] = bus.subscribe(once, delivery -> {
                handled.add(delivery.envelope().payload());
                self[0].close();
                done.countDown();
            });

            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> bus.sync().inbox(once).pending() == 0);
            assertThat(handled).containsExactly("{\"n\":0}");
            assertThat(bus.sync().inbox(once).length()).isEqualTo(3);
        }
    }

    @Test
    void manyAgentsShareAConstantNumberOfConnections(LocalRedis redis) throws Exception {
        try (AgentBus bus = AgentBus.connect(redis.uri());
                RawRedis admin = RawRedis.connect(redis)) {
            RecordingHandler handler = RecordingHandler.acking();
            List<AgentId> agents = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                AgentId agent = freshAgent("agent" + i);
                agents.add(agent);
                bus.subscribe(agent, handler);
            }

            for (AgentId agent : agents) {
                bus.send(Envelope.builder()
                        .from("cmo")
                        .to(agent)
                        .type("ping")
                        .payload("{}")
                        .build());
            }

            handler.await(200, WAIT);
            long busConnections = admin.commands()
                    .clientList()
                    .lines()
                    .filter(line -> line.contains("name=agentbus-"))
                    .count();
            assertThat(busConnections).isEqualTo(2); // one command connection, one reader
        }
    }
}
