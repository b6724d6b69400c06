package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Durability;
import io.agentbus.embedded.LocalRedis;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of redis-server mid-stream, restarted from the same data directory, with producers and
 * consumers running. What survives is what the AOF promised: everything acknowledged with
 * appendfsync always; about a second with everysec (reported); with no AOF the bus warned at start.
 */
class RedisKillIT {

    private static final int RATE = 200;
    private static final int CYCLES = Scale.of(3, 5);
    private static final Duration RUN_BETWEEN_KILLS = Duration.ofMillis(Scale.of(700, 3000));
    static final BusOptions QUICK = BusOptions.builder()
            .connection(ConnectionOptions.builder()
                    .commandTimeout(Duration.ofSeconds(1))
                    .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build())
            .consumer(
                    ConsumerOptions.builder().readBlock(Duration.ofMillis(200)).build())
            .build();

    @Test
    void aofAlwaysLosesNothingAcknowledged() throws Exception {
        Outcome outcome = killCycles(Durability.AOF_ALWAYS, "--appendonly", "yes", "--appendfsync", "always");

        outcome.print("redis-kill9-aof-always");
        assertThat(outcome.traffic.lost()).isZero();
        assertThat(outcome.traffic.unexpected()).isZero();
        assertThat(outcome.recovered).isTrue();
        assertThat(outcome.warnings).isEmpty();
    }

    @Test
    void aofEverysecLosesAtMostAboutASecond() throws Exception {
        Outcome outcome = killCycles(Durability.AOF_EVERYSEC, "--appendonly", "yes", "--appendfsync", "everysec");

        outcome.print("redis-kill9-aof-everysec");
        assertThat(outcome.traffic.unexpected()).isZero();
        // Reported, not required to be 0: up to ~1-2 s of sends per kill may be lost.
        assertThat(outcome.traffic.lost()).isLessThanOrEqualTo((long) CYCLES * RATE * 2);
    }

    @Test
    void withoutAofTheBusWarnedAtStartUp() throws Exception {
        Outcome outcome = killCycles(Durability.AOF_ALWAYS, "--appendonly", "no");

        outcome.print("redis-kill9-no-aof");
        assertThat(outcome.warnings).singleElement().asString().contains("appendonly is no");
        assertThat(outcome.traffic.unexpected()).isZero();
    }

    private record Outcome(Traffic traffic, boolean recovered, List<String> warnings) {
        void print(String scenario) {
            ScenarioResult.print(
                    scenario,
                    "attempts",
                    traffic.attempts(),
                    "acknowledged",
                    traffic.acknowledged(),
                    "lost",
                    traffic.lost(),
                    "duplicated",
                    traffic.duplicated(),
                    "unexpected",
                    traffic.unexpected(),
                    "recovered",
                    recovered);
        }
    }

    private static Outcome killCycles(Durability durability, String... serverArgs) throws Exception {
        AgentId agent = freshAgent("kill9");
        try (LocalRedis redis = LocalRedis.builder().args(serverArgs).start();
                AgentBus bus = AgentBus.connect(
                        redis.uri(),
                        QUICK.mutate()
                                .send(QUICK.send()
                                        .mutate()
                                        .durability(durability)
                                        .build())
                                .build())) {
            Traffic traffic = new Traffic(bus, agent, Traffic.OnFailure.GIVE_UP);
            bus.subscribe(agent, traffic.recorder());
            traffic.start(RATE);
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Thread.sleep(RUN_BETWEEN_KILLS.toMillis()); // traffic flows; the kill lands mid-stream
                redis.kill();
                redis.restart();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> bus.connectionState().isConnected());
            }
            Thread.sleep(RUN_BETWEEN_KILLS.toMillis());
            traffic.stop();
            boolean recovered = awaitQuietly(
                    () -> traffic.caughtUp() && bus.sync().inbox(agent).pending() == 0);
            return new Outcome(traffic, recovered, bus.serverWarnings());
        }
    }

    /** Waits up to 20 s; false if the condition never held (lost messages, reported by the caller). */
    static boolean awaitQuietly(java.util.concurrent.Callable<Boolean> condition) {
        try {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(condition);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }
}
