package io.agentbus.testkit.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionState;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxFullException;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.RequestTimeoutException;
import io.agentbus.Retention;
import io.agentbus.SendOptions;
import io.agentbus.testkit.RecordingHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the in-memory bus adds for tests: a clock that drives every timed rule, awaitIdle, and its answers where a server would be. */
class InMemoryAgentBusTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final AgentId WORKER = AgentId.of("worker");

    private final TestClock clock = TestClock.at(Instant.parse("2025-01-01T09:00:00Z"));
    private final List<InMemoryAgentBus> buses = new CopyOnWriteArrayList<>();

    private InMemoryAgentBus bus(BusOptions options) {
        InMemoryAgentBus bus =
                InMemoryAgentBus.builder().clock(clock).options(options).build();
        buses.add(bus);
        return bus;
    }

    @AfterEach
    void closeBuses() {
        buses.forEach(InMemoryAgentBus::close);
    }

    private static Envelope task(String brief) {
        return Envelope.builder()
                .from("cmo")
                .to(WORKER)
                .type("task")
                .payload("{\"brief\":\"" + brief + "\"}")
                .build();
    }

    /** The README's example ("Testing your agents without Redis"), as it is printed there. */
    @Test
    void theReadmeExampleRuns() {
        TestClock clock = TestClock.startingNow();
        try (InMemoryAgentBus bus = InMemoryAgentBus.builder().clock(clock).build()) {
            List<String> reminders = new CopyOnWriteArrayList<>();
            bus.subscribe(
                    AgentId.of("assistant"),
                    delivery -> reminders.add(delivery.envelope().payload()));
            bus.sync()
                    .send(
                            Envelope.builder()
                                    .from("cmo")
                                    .to("assistant")
                                    .type("reminder")
                                    .payload("{\"text\":\"launch review\"}")
                                    .build(),
                            Duration.ofHours(1));

            bus.awaitIdle(Duration.ofSeconds(5)); // nothing yet: the reminder is due in an hour
            assertThat(reminders).isEmpty();
            clock.advance(Duration.ofHours(1));
            bus.awaitIdle(Duration.ofSeconds(5)); // now it was handled and acknowledged
            assertThat(reminders).containsExactly("{\"text\":\"launch review\"}");
        }
    }

    @Test
    void aDelayedMessageWaitsForTheTestClock() throws Exception {
        InMemoryAgentBus bus = bus(BusOptions.defaults());
        RecordingHandler handler = RecordingHandler.acking();
        bus.subscribe(WORKER, handler);

        bus.sync().send(task("remind me"), Duration.ofHours(1));
        bus.awaitIdle(WAIT);
        assertThat(handler.deliveries()).isEmpty();
        assertThat(bus.sync().inbox(WORKER).delayed()).isEqualTo(1);

        clock.advance(Duration.ofHours(1));
        bus.awaitIdle(WAIT);

        assertThat(handler.deliveries()).hasSize(1);
        assertThat(handler.deliveries().get(0).receivedAt()).isEqualTo(clock.instant());
        assertThat(bus.sync().inbox(WORKER).delayed()).isZero();
    }

    @Test
    void aRetryWaitsForItsBackoffOnTheTestClock() {
        InMemoryAgentBus bus = bus(BusOptions.builder()
                .delivery(DeliveryOptions.builder()
                        .backoff(Backoff.fixed(Duration.ofMinutes(10)))
                        .visibilityTimeout(Duration.ofHours(1))
                        .build())
                .build());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        bus.subscribe(WORKER, delivery -> {
            attempts.add(delivery.attempt());
            if (delivery.attempt() == 1) {
                throw new IllegalStateException("not yet");
            }
        });

        bus.sync().send(task("retry me"));
        bus.awaitIdle(WAIT);
        assertThat(attempts).containsExactly(1);

        clock.advance(Duration.ofMinutes(10));
        bus.awaitIdle(WAIT);

        assertThat(attempts).containsExactly(1, 2);
        assertThat(bus.sync().inbox(WORKER).counters().retried()).isEqualTo(1);
        assertThat(bus.sync().inbox(WORKER).pending()).isZero();
    }

    @Test
    void workLeftUnsettledByAClosedInstanceIsRedeliveredAfterTheVisibilityTimeout() throws Exception {
        InMemoryAgentBus bus = bus(BusOptions.builder()
                .delivery(DeliveryOptions.builder()
                        .visibilityTimeout(Duration.ofMinutes(5))
                        .build())
                .build());
        RecordingHandler abandoning = RecordingHandler.acking();
        var first = bus.subscribe(WORKER, delivery -> {
            abandoning.handle(delivery);
            delivery.ackWhen(new CompletableFuture<>()); // work that never completes
        });
        bus.sync().send(task("abandoned"));
        abandoning.await(1, WAIT);
        first.close();
        RecordingHandler second = RecordingHandler.acking();
        bus.subscribe(WORKER, second);

        clock.advance(Duration.ofMinutes(5));

        assertThat(second.await(1, WAIT).get(0).attempt()).isEqualTo(2);
    }

    @Test
    void theDedupWindowEndsWhenTheTestClockPassesIt() {
        InMemoryAgentBus bus = bus(BusOptions.builder()
                .send(SendOptions.builder().dedupWindow(Duration.ofMinutes(10)).build())
                .build());
        Envelope message = task("once");

        assertThat(bus.sync().send(message).duplicate()).isFalse();
        assertThat(bus.sync().send(message).duplicate()).isTrue();
        clock.advance(Duration.ofMinutes(10));

        assertThat(bus.sync().send(message).duplicate()).isFalse();
        assertThat(bus.sync().inbox(WORKER).length()).isEqualTo(2);
    }

    @Test
    void aRequestTimesOutWhenTheTestClockPassesItsTimeout() throws Exception {
        InMemoryAgentBus bus = bus(BusOptions.defaults());
        AgentId requester = AgentId.of("cmo");
        bus.subscribe(requester, RecordingHandler.acking());
        bus.serve(WORKER, request -> null); // never answers
        CompletableFuture<Envelope> reply = bus.request(
                        Envelope.builder()
                                .from(requester)
                                .to(WORKER)
                                .type("question")
                                .payload("{}")
                                .build(),
                        Duration.ofHours(1))
                .toCompletableFuture();
        bus.awaitIdle(WAIT);
        assertThat(reply).isNotDone();

        clock.advance(Duration.ofHours(1));
        bus.awaitIdle(WAIT);

        assertThatThrownBy(() -> reply.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(RequestTimeoutException.class);
    }

    @Test
    void awaitIdleFailsSayingWhatIsStillBusy() throws Exception {
        InMemoryAgentBus bus = bus(BusOptions.defaults());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        bus.subscribe(WORKER, delivery -> {
            started.countDown();
            release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        });
        bus.sync().send(task("slow"));
        assertThat(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        assertThatThrownBy(() -> bus.awaitIdle(Duration.ofMillis(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("in flight");

        release.countDown();
        bus.awaitIdle(WAIT);
        assertThat(bus.sync().inbox(WORKER).counters().acked()).isEqualTo(1);
    }

    @Test
    void anOversizePayloadIsRefusedBeforeAnythingIsStored() {
        InMemoryAgentBus bus = bus(BusOptions.builder()
                .send(SendOptions.builder().maxPayloadBytes(16).build())
                .build());

        assertThatThrownBy(() -> bus.send(task("far too long for sixteen bytes")))
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasFieldOrPropertyWithValue("field", "payload")
                .hasMessageContaining("maxPayloadBytes");
        assertThat(bus.sync().inbox(WORKER).length()).isZero();
    }

    @Test
    void aSendToAFullInboxFailsWithInboxFullAndStoresNothing() {
        InMemoryAgentBus bus = bus(BusOptions.builder()
                .send(SendOptions.builder().maxInboxLength(2).build())
                .consumer(ConsumerOptions.builder()
                        .inboxRetention(Retention.maxLength(1))
                        .build())
                .build());
        bus.sync().send(task("one"));
        bus.sync().send(task("two"));

        assertThatThrownBy(() -> bus.sync().send(task("three"))).isInstanceOf(InboxFullException.class);
        assertThat(bus.sync().inbox(WORKER).length()).isEqualTo(2);
    }

    @Test
    void badNamesAreRefusedWithTheRedisBusExceptions() {
        InMemoryAgentBus bus = bus(BusOptions.defaults());

        assertThatThrownBy(() -> bus.topic("no spaces {or braces}")).isInstanceOf(InvalidEnvelopeException.class);
        assertThatThrownBy(() -> bus.listen("has space", (channel, message) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.swarms().read("bad:swarm")).isInstanceOf(InvalidEnvelopeException.class);
    }

    @Test
    void whatOnlyAServerHasIsAnsweredOrRefusedClearly() {
        InMemoryAgentBus bus = bus(BusOptions.defaults());

        assertThat(bus.connectionState().status()).isEqualTo(ConnectionState.Status.CONNECTED);
        assertThat(bus.serverSoftware()).isEqualTo("in-memory");
        assertThat(bus.serverWarnings()).isEmpty();
        assertThatThrownBy(bus::serverVersion)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("no Redis server");
        bus.close();
        assertThat(bus.connectionState().status()).isEqualTo(ConnectionState.Status.CLOSED);
        assertThatThrownBy(() -> bus.send(task("too late"))).isInstanceOf(IllegalStateException.class);
    }
}
