package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.TestIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} shows only figures someone measures: after Redis came back empty the series of the agents it no
 * longer knows go within a few samples (no ghost for an alert to page on), and while Redis is down the Redis-side
 * series are absent, not frozen at their last values, with {@code redis_connected 0}. Its own Redis, started here,
 * because the test restarts and stops it.
 */
class MetricsStaleIT {

    /** The Redis-side series: what the server reads from Redis, as opposed to its own bus's meters. */
    private static final List<String> REDIS_SIDE = List.of(
            "inbox_",
            "agentbus_inbox_",
            "agentbus_agent_",
            "agentbus_messages_",
            "agents_live",
            "agentbus_agents_live",
            "agent_unreadable");

    @Test
    void seriesOfVanishedAgentsGoAndRedisSideSeriesAreAbsentWhileRedisIsDown() {
        BusOptions.Builder options = BusOptions.builder().reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(200));
        try (LocalRedis redis = LocalRedis.start();
                RunningServer server = new RunningServer(redis, options)) {
            List<AgentId> ghosts =
                    List.of(TestIds.freshAgent("ghost"), TestIds.freshAgent("ghost"), TestIds.freshAgent("ghost"));
            sendOneEach(redis, ghosts);
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () -> server.get("/metrics").body(),
                            metrics -> ghosts.stream()
                                    .allMatch(ghost ->
                                            metrics.contains("agentbus_inbox_backlog{agent=\"" + ghost + "\"} 1")));

            redis.kill();
            redis.restart(); // same port, no persistence: empty
            AgentId survivor = TestIds.freshAgent("survivor");
            sendOneEach(redis, List.of(survivor));
            String afterRestart = await().atMost(Duration.ofSeconds(15))
                    .until(
                            () -> server.get("/metrics").body(),
                            metrics -> metrics.contains("agentbus_inbox_backlog{agent=\"" + survivor + "\"} 1")
                                    && ghosts.stream().noneMatch(ghost -> metrics.contains("\"" + ghost + "\"")));
            long ghostSeries = ghosts.stream()
                    .mapToLong(ghost -> count(afterRestart, line -> line.contains("\"" + ghost + "\"")))
                    .sum();

            redis.stop();
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            !server.getJson("/api/stats").path("sample_error").isNull());
            String whileDown = server.get("/metrics").body();
            long frozen = count(whileDown, MetricsStaleIT::isRedisSide);

            System.out.println("RESULT scenario=metrics-stale ghost_series_after_restart=" + ghostSeries
                    + " frozen_while_down=" + frozen);
            assertThat(ghostSeries).isZero();
            assertThat(frozen)
                    .as("Redis-side series while Redis is down:%n%s", whileDown)
                    .isZero();
            assertThat(whileDown).contains("redis_connected 0.0").contains("agentbus_stats_sample_age_seconds ");
            assertThat(afterRestart)
                    .as("the gauges work again after the restart")
                    .contains("agentbus_messages_sent_total{agent=\"" + survivor + "\"} 1.0");
        }
    }

    /** Traffic from a bus of its own, so that the server's own meters never name these agents. */
    private static void sendOneEach(LocalRedis redis, List<AgentId> agents) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            for (AgentId agent : agents) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("stale_test")
                                .to(agent)
                                .type("task")
                                .payload(Map.of("n", 1))
                                .build());
            }
        }
    }

    private static boolean isRedisSide(String sample) {
        return REDIS_SIDE.stream().anyMatch(sample::startsWith);
    }

    private static long count(String metrics, Predicate<String> sample) {
        return metrics.lines()
                .filter(line -> !line.startsWith("#"))
                .filter(sample)
                .count();
    }
}
