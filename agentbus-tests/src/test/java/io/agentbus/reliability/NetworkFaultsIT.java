package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusListener;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionState;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisProxy;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Network faults between the bus and Redis, made by a TCP proxy (NetCrusher): resets and a freeze. */
@ExtendWith(RedisServerExtension.class)
class NetworkFaultsIT {

    private static final int RATE = 200;
    private RedisProxy proxy;

    @BeforeEach
    void openProxy(LocalRedis redis) {
        proxy = RedisProxy.open(redis);
    }

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    @Test
    void connectionResetsLoseNothingAndStoreNoDuplicates(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("resets");
        ReconnectTimer reconnects = new ReconnectTimer();
        BusOptions options = RedisKillIT.QUICK.mutate().listener(reconnects).build();
        int resets = Scale.of(6, 15);
        try (AgentBus bus = AgentBus.connect(proxy.uri(), options)) {
            Traffic traffic = new Traffic(bus, agent, Traffic.OnFailure.RETRY_SAME_ID);
            bus.subscribe(agent, traffic.recorder());
            traffic.start(RATE);
            for (int i = 0; i < resets; i++) {
                Thread.sleep(Scale.of(1000, 2000)); // the period between resets
                proxy.resetConnections();
            }
            Thread.sleep(1000);
            traffic.stop();
            boolean recovered = RedisKillIT.awaitQuietly(
                    () -> traffic.caughtUp() && bus.sync().inbox(agent).pending() == 0);
            long stored = rawXlen(redis, agent);
            long storedDuplicates = stored - traffic.deliveredUnique();

            ScenarioResult.print(
                    "connection-resets",
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
                    "stored_duplicates",
                    storedDuplicates,
                    "reconnect_p99_ms",
                    ScenarioResult.percentile(reconnects.millis, 99));
            assertThat(traffic.lost()).isZero();
            assertThat(traffic.unexpected()).isZero();
            assertThat(storedDuplicates).isZero();
            assertThat(recovered).isTrue();
            assertThat(ScenarioResult.percentile(reconnects.millis, 99)).isLessThanOrEqualTo(1000 + 500);
        }
    }

    @Test
    void halfOpenConnectionBlocksNoCallerPastItsTimeout(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("half-open");
        Duration freeze = Duration.ofSeconds(Scale.of(5, 20));
        try (AgentBus bus = AgentBus.connect(proxy.uri(), RedisKillIT.QUICK)) {
            Traffic traffic = new Traffic(bus, agent, Traffic.OnFailure.RETRY_SAME_ID);
            bus.subscribe(agent, traffic.recorder());
            traffic.start(RATE);
            Thread.sleep(1000);
            proxy.freeze();
            Thread.sleep(freeze.toMillis());
            long unfrozen = System.nanoTime();
            proxy.unfreeze();
            Thread.sleep(Scale.of(3000, 5000));
            traffic.stop();
            boolean recovered = RedisKillIT.awaitQuietly(
                    () -> traffic.caughtUp() && bus.sync().inbox(agent).pending() == 0);
            long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(
                    traffic.firstAckAfter(unfrozen).orElse(Long.MAX_VALUE) - unfrozen);
            long recoveredAt = unfrozen + TimeUnit.MILLISECONDS.toNanos(recoveryMillis);
            // Throughput in the second after the first success, against the offered rate.
            long ackedInNextSecond =
                    traffic.acknowledgedBetween(recoveredAt, recoveredAt + TimeUnit.SECONDS.toNanos(1));

            ScenarioResult.print(
                    "half-open",
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
                    "max_blocked_ms",
                    traffic.maxBlocked().toMillis(),
                    "recovery_ms",
                    recoveryMillis);
            assertThat(traffic.lost()).isZero();
            assertThat(traffic.unexpected()).isZero();
            assertThat(traffic.maxBlocked())
                    .isLessThanOrEqualTo(
                            RedisKillIT.QUICK.connection().commandTimeout().plusMillis(500));
            assertThat(recoveryMillis).isLessThanOrEqualTo(5000);
            assertThat(ackedInNextSecond).isGreaterThanOrEqualTo((long) (RATE * 0.9));
            assertThat(recovered).isTrue();
        }
    }

    private static long rawXlen(LocalRedis redis, AgentId agent) {
        try (RawRedis raw = RawRedis.connect(redis)) {
            return raw.commands().xlen("agent:{" + agent.value() + "}:inbox");
        }
    }

    /** Time from each loss of the command connection to its return. */
    private static final class ReconnectTimer implements BusListener {
        final List<Long> millis = new CopyOnWriteArrayList<>();
        private final AtomicLong lostAt = new AtomicLong();

        @Override
        public void connectionStateChanged(ConnectionState state) {
            if (state.status() == ConnectionState.Status.DISCONNECTED && state.reconnectAttempts() == 0) {
                lostAt.set(System.nanoTime());
            } else if (state.status() == ConnectionState.Status.CONNECTED && lostAt.get() != 0) {
                millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt.getAndSet(0)));
            }
        }
    }
}
