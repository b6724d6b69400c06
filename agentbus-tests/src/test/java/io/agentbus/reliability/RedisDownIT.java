package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.ConnectionState;
import io.agentbus.embedded.LocalRedis;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.Test;

/** Redis away for seconds while producers keep sending into a bounded, counted buffer. */
class RedisDownIT {

    private static final int RATE = Scale.of(200, 500);
    private static final int BUFFER_BOUND = 400;

    @Test
    void buffersWithinItsBoundAndDeliversEveryAcceptedSendAfterRecovery() throws Exception {
        AgentId agent = freshAgent("down");
        Duration down = Duration.ofSeconds(Scale.of(3, 15));
        BusOptions buffering = RedisKillIT.QUICK
                .mutate()
                .connection(RedisKillIT.QUICK
                        .connection()
                        .mutate()
                        .disconnectedSends(ConnectionOptions.DisconnectedSends.BUFFER)
                        .requestQueueSize(BUFFER_BOUND)
                        .commandTimeout(down.plusSeconds(10)) // buffered sends must outlive the outage
                        .build())
                .build();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (LocalRedis redis = LocalRedis.builder()
                        .args("--appendonly", "yes", "--appendfsync", "always")
                        .start();
                AgentBus bus = AgentBus.connect(redis.uri(), buffering)) {
            LongAccumulator maxBuffered = new LongAccumulator(Math::max, 0);
            // The buffer is what waits while disconnected; on reconnect Lettuce moves it to the wire.
            sampler.scheduleAtFixedRate(
                    () -> {
                        ConnectionState state = bus.connectionState();
                        if (!state.isConnected()) {
                            maxBuffered.accumulate(state.sendsInFlight());
                        }
                    },
                    0,
                    5,
                    TimeUnit.MILLISECONDS);
            Traffic traffic = new Traffic(bus, agent, Traffic.OnFailure.GIVE_UP);
            bus.subscribe(agent, traffic.recorder());
            traffic.start(RATE);
            Thread.sleep(1000);

            redis.stop();
            Thread.sleep(down.toMillis());
            long restarted = System.nanoTime();
            redis.restart();
            Thread.sleep(2000);
            traffic.stop();
            boolean recovered = RedisKillIT.awaitQuietly(
                    () -> traffic.caughtUp() && bus.sync().inbox(agent).pending() == 0);
            long firstSuccessMillis = TimeUnit.NANOSECONDS.toMillis(
                    traffic.firstAckAfter(restarted).orElse(Long.MAX_VALUE) - restarted);

            ScenarioResult.print(
                    "redis-down",
                    "attempts",
                    traffic.attempts(),
                    "acknowledged",
                    traffic.acknowledged(),
                    "ok",
                    traffic.deliveredUnique(),
                    "lost",
                    traffic.lost(),
                    "duplicated",
                    traffic.duplicated(),
                    "unexpected",
                    traffic.unexpected(),
                    "recovered",
                    recovered,
                    "max_buffered",
                    maxBuffered.get(),
                    "buffer_bound",
                    BUFFER_BOUND,
                    "rejected",
                    traffic.rejected(),
                    "max_reject_ms",
                    traffic.maxRejectLatency().toMillis(),
                    "first_success_ms",
                    firstSuccessMillis);
            assertThat(traffic.lost()).isZero();
            assertThat(traffic.unexpected()).isZero();
            assertThat(recovered).isTrue();
            assertThat(maxBuffered.get()).isLessThanOrEqualTo(BUFFER_BOUND);
            assertThat(traffic.rejected()).isPositive(); // the outage outlasts the buffer
            // "At once": far below the 13 s a buffered send may wait; 500 ms absorbs a GC pause on a busy machine.
            assertThat(traffic.maxRejectLatency()).isLessThan(Duration.ofMillis(500));
            assertThat(firstSuccessMillis)
                    .isLessThanOrEqualTo(
                            buffering.connection().reconnectMaxDelay().toMillis() + 1000);
        } finally {
            sampler.shutdownNow();
        }
    }
}
