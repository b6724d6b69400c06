package io.agentbus.spring;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/**
 * A Boot application is closed while its slow @AgentListener is mid-stream and messages keep coming: the
 * listener stops taking messages, the delivery it is running finishes and is acknowledged, the ones it had read
 * but not started are handed back (pending, at once reclaimable), and only then does the bus close. A fresh bus
 * afterwards handles the rest; every message sent is handled, and none that the application finished is handled
 * again (which would mean its acknowledgement was lost in the shutdown).
 */
@ExtendWith(RedisServerExtension.class)
class SpringShutdownIT {

    private static final int MESSAGES = 200;
    private static final Duration SEND_INTERVAL = Duration.ofMillis(5);
    private static final Duration VISIBILITY = Duration.ofSeconds(1);

    @Test
    void closingTheContextMidStreamLosesNothing(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("slow-writer");
        List<String> handledByApplication = new CopyOnWriteArrayList<>();
        List<String> handledAfterwards = new CopyOnWriteArrayList<>();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        ApplicationContextRunner application = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AgentBusAutoConfiguration.class))
                .withUserConfiguration(SlowWriter.class)
                .withPropertyValues(
                        "agentbus.redis-uri=" + redis.uri(),
                        "agentbus.delivery.visibility-timeout=" + VISIBILITY.toMillis() + "ms",
                        "agentbus.consumer.prefetch=5",
                        "agentbus.consumer.read-batch-size=5",
                        "agentbus.consumer.shutdown-timeout=5s",
                        "test.agent=" + agent.value());

        try (AgentBus sender = AgentBus.connect(redis.uri())) {
            long[] inFlight = new long[1];
            long[] leftPendingByClose = new long[1];
            long[] finishedDuringClose = new long[1];
            long[] closeMillis = new long[1];
            CompletableFuture<Void> sending = new CompletableFuture<>();
            application.run(context -> {
                SlowWriter writer = context.getBean(SlowWriter.class);
                writer.handled = handledByApplication;
                CompletableFuture.runAsync(() -> sendPaced(sender, agent, sent))
                        .whenComplete((done, failure) -> complete(sending, failure));
                await().atMost(Duration.ofSeconds(20)).until(() -> handledByApplication.size() >= 20);
                writer.holdNext.set(true);
                assertThat(writer.holding.await(10, TimeUnit.SECONDS)).isTrue();

                inFlight[0] = sender.sync().inbox(agent).pending();
                int finishedBeforeClose = handledByApplication.size();
                long closeStarted = System.nanoTime();
                context.close();
                closeMillis[0] =
                        Duration.ofNanos(System.nanoTime() - closeStarted).toMillis();
                finishedDuringClose[0] = handledByApplication.size() - finishedBeforeClose;
                leftPendingByClose[0] = sender.sync().inbox(agent).pending();
            });
            sending.get(30, TimeUnit.SECONDS);

            BusOptions quickReclaim = BusOptions.builder()
                    .delivery(DeliveryOptions.builder()
                            .visibilityTimeout(VISIBILITY)
                            .build())
                    .build();
            try (AgentBus fresh = AgentBus.connect(redis.uri(), quickReclaim)) {
                fresh.subscribe(
                        agent,
                        delivery -> handledAfterwards.add(
                                delivery.envelope().messageId().value()));
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            Set<String> handled = new HashSet<>(handledByApplication);
                            handled.addAll(handledAfterwards);
                            return handled.containsAll(sent)
                                    && fresh.sync().inbox(agent).pending() == 0;
                        });
            }
            Set<String> lost = new HashSet<>(sent);
            lost.removeAll(handledByApplication);
            lost.removeAll(handledAfterwards);
            Set<String> handledTwice = new HashSet<>(handledByApplication);
            handledTwice.retainAll(handledAfterwards);

            System.out.println("RESULT scenario=spring-shutdown in_flight=" + inFlight[0] + " lost=" + lost.size()
                    + " messages=" + sent.size() + " handled_by_application=" + handledByApplication.size()
                    + " finished_during_close=" + finishedDuringClose[0] + " handed_back=" + leftPendingByClose[0]
                    + " handled_after_close=" + handledAfterwards.size() + " handled_twice=" + handledTwice.size()
                    + " close_ms=" + closeMillis[0]);
            assertThat(sent).hasSize(MESSAGES);
            assertThat(inFlight[0])
                    .as("messages the application held when it closed")
                    .isPositive();
            assertThat(finishedDuringClose[0])
                    .as("the delivery running when the context closed, finished")
                    .isEqualTo(1);
            assertThat(handledTwice)
                    .as("messages the application finished but did not acknowledge before the bus closed")
                    .isEmpty();
            assertThat(handledAfterwards).as("the stream went on after close").isNotEmpty();
            assertThat(lost).as("messages lost").isEmpty();
        }
    }

    private static void sendPaced(AgentBus sender, AgentId agent, Set<String> sent) {
        for (int i = 0; i < MESSAGES; i++) {
            Envelope task = Envelope.builder()
                    .from("dispatcher")
                    .to(agent)
                    .type("task")
                    .payload("{\"n\":" + i + "}")
                    .build();
            sent.add(sender.sync().send(task).messageId().value());
            try {
                Thread.sleep(SEND_INTERVAL.toMillis()); // a steady stream, still arriving while the application closes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void complete(CompletableFuture<Void> done, Throwable failure) {
        if (failure == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(failure);
        }
    }

    /**
     * 50 ms a message, slower than the messages come; once told, it holds the next message for a further
     * {@link #HOLD}, so that the test closes the context while a delivery is surely running.
     */
    @Configuration(proxyBeanMethods = false)
    static class SlowWriter {
        static final Duration HOLD = Duration.ofMillis(300);

        volatile List<String> handled = new CopyOnWriteArrayList<>();
        final AtomicBoolean holdNext = new AtomicBoolean();
        final CountDownLatch holding = new CountDownLatch(1);

        @AgentListener(agent = "${test.agent}")
        void write(Envelope task) throws InterruptedException {
            Thread.sleep(50);
            if (holdNext.compareAndSet(true, false)) {
                holding.countDown();
                Thread.sleep(HOLD.toMillis());
            }
            handled.add(task.messageId().value());
        }
    }
}
