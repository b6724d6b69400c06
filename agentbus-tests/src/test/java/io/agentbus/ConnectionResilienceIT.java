package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The bus across a Redis that goes away and comes back (same port, same data directory, AOF on). */
@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(
        perTest = true,
        args = {"--appendonly", "yes", "--appendfsync", "always"})
class ConnectionResilienceIT {

    private static final BusOptions QUICK = BusOptions.builder()
            .connection(ConnectionOptions.builder()
                    .commandTimeout(Duration.ofSeconds(1))
                    .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build())
            .consumer(
                    ConsumerOptions.builder().readBlock(Duration.ofMillis(200)).build())
            .build();

    @Test
    void sendFailsAtOnceWhileRedisIsDownAndWorksAfterItReturns(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("worker");
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        BusOptions options = QUICK.mutate()
                .listener(new BusListener() {
                    @Override
                    public void connectionStateChanged(ConnectionState state) {
                        states.add(state);
                    }
                })
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);
            bus.sync().send(task(worker, "before"));
            handler.await(1, Duration.ofSeconds(10));
            // Acks are batched and asynchronous: an ack lost with the server would redeliver "before".
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(worker).pending() == 0);

            redis.kill();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !bus.connectionState().isConnected());
            long started = System.nanoTime();
            assertThatThrownBy(() -> bus.sync().send(task(worker, "while-down")))
                    .isInstanceOf(BusUnavailableException.class);
            Duration failedAfter = Duration.ofNanos(System.nanoTime() - started);

            redis.restart();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.connectionState().isConnected());
            bus.sync().send(task(worker, "after"));

            List<Delivery> delivered = handler.await(2, Duration.ofSeconds(15));
            assertThat(delivered)
                    .extracting(d -> d.envelope().payload())
                    .containsExactly("{\"n\":\"before\"}", "{\"n\":\"after\"}");
            assertThat(failedAfter).isLessThan(Duration.ofMillis(500));
            assertThat(states)
                    .extracting(ConnectionState::status)
                    .containsSubsequence(ConnectionState.Status.DISCONNECTED, ConnectionState.Status.CONNECTED);
            assertThat(states)
                    .anySatisfy(state -> assertThat(state.reconnectAttempts()).isPositive());
        }
    }

    @Test
    void bufferedSendsAreDeliveredAfterTheReconnect(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("worker");
        BusOptions buffering = QUICK.mutate()
                .connection(QUICK.connection()
                        .mutate()
                        .commandTimeout(Duration.ofSeconds(10))
                        .disconnectedSends(ConnectionOptions.DisconnectedSends.BUFFER)
                        .requestQueueSize(1000)
                        .build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), buffering)) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);
            redis.kill();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !bus.connectionState().isConnected());

            CompletableFuture<SendReceipt> buffered =
                    bus.send(task(worker, "buffered")).toCompletableFuture();
            assertThat(bus.connectionState().sendsInFlight()).isEqualTo(1);
            redis.restart();

            assertThat(buffered.get(10, TimeUnit.SECONDS).duplicate()).isFalse();
            assertThat(handler.await(1, Duration.ofSeconds(15))
                            .get(0)
                            .envelope()
                            .payload())
                    .isEqualTo("{\"n\":\"buffered\"}");
            assertThat(bus.connectionState().sendsInFlight()).isZero();
        }
    }

    @Test
    void connectWaitsForARedisThatStartsLate(LocalRedis redis) throws Exception {
        redis.stop();
        BusOptions patient = QUICK.mutate()
                .connection(QUICK.connection()
                        .mutate()
                        .connectWait(Duration.ofSeconds(20))
                        .build())
                .build();

        CompletableFuture<AgentBus> connecting =
                CompletableFuture.supplyAsync(() -> AgentBus.connect(redis.uri(), patient));
        redis.restart();

        try (AgentBus bus = connecting.get(20, TimeUnit.SECONDS)) {
            assertThat(bus.connectionState().isConnected()).isTrue();
        }
    }

    @Test
    void acknowledgedMessagesSurviveAKillWithAofAlways(LocalRedis redis) throws Exception {
        AgentId worker = freshAgent("worker");
        BusOptions durable = QUICK.mutate()
                .send(QUICK.send()
                        .mutate()
                        .durability(Durability.AOF_ALWAYS)
                        .strictDurability(true)
                        .build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), durable)) {
            for (int i = 0; i < 50; i++) {
                bus.sync().send(task(worker, "m" + i));
            }
            redis.kill();
            redis.restart();
            RecordingHandler handler = RecordingHandler.acking();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.connectionState().isConnected());

            bus.subscribe(worker, handler);

            assertThat(handler.await(50, Duration.ofSeconds(15))).hasSize(50);
            assertThat(bus.serverWarnings()).isEmpty();
        }
    }

    private static Envelope task(AgentId to, String n) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload("{\"n\":\"" + n + "\"}")
                .build();
    }
}
