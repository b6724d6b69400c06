package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Subscription;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.agentbus.testkit.TestIds;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The status of each agent as {@code agentbus server} shows it in {@code /api/stats} and exports it as
 * {@code agentbus_agent_status}, for the five situations an operator must tell apart, and the dead consumers it
 * marks and forgets.
 */
@ExtendWith(RedisServerExtension.class)
class AgentStatusIT {

    private static final Duration VISIBILITY = Duration.ofMillis(300);
    private static final BusOptions.Builder OPTIONS = BusOptions.builder()
            .delivery(DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build());

    @Test
    void serverTellsOkIdleBacklogStuckAndFailingApart(LocalRedis redis, RawRedis raw) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RunningServer server = new RunningServer(redis, OPTIONS)) {
            // A healthy busy agent: its instance holds work for longer than the visibility timeout, extending it.
            AgentId busy = TestIds.freshAgent("busy");
            Subscription busyInstance = server.bus().subscribe(busy, delivery -> release.await(30, TimeUnit.SECONDS));
            send(server, busy, 2);
            // Unread, and nobody runs it.
            AgentId backlog = TestIds.freshAgent("backlog");
            send(server, backlog, 3);
            // Held by a reader that died: nobody settles or extends it.
            AgentId stuck = TestIds.freshAgent("stuck");
            send(server, stuck, 2);
            readAsRaw(raw, stuck, "crashed", 2);
            // Every message dead-lettered.
            AgentId failing = TestIds.freshAgent("failing");
            Subscription failingInstance =
                    server.bus().subscribe(failing, delivery -> delivery.deadLetter("rejected by the test"));
            send(server, failing, 1);
            // Handled everything, then stopped.
            AgentId idle = TestIds.freshAgent("idle");
            CountDownLatch handled = new CountDownLatch(1);
            Subscription idleInstance = server.bus().subscribe(idle, delivery -> handled.countDown());
            send(server, idle, 1);
            assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
            idleInstance.close();

            Map<AgentId, String> expected =
                    Map.of(busy, "ok", backlog, "backlog", stuck, "stuck", failing, "failing", idle, "idle");
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                JsonNode stats = server.getJson("/api/stats");
                String metrics = server.get("/metrics").body();
                expected.forEach((agent, status) -> {
                    JsonNode row = ServerIT.agentOf(stats, agent.value());
                    assertThat(row == null ? "absent" : row.get("status").asText())
                            .as("status of %s in %s", agent, stats)
                            .isEqualTo(status);
                    assertThat(metrics)
                            .contains("agentbus_agent_status{agent=\"" + agent + "\",status=\"" + status + "\"} 1");
                });
            });
            JsonNode busyRow = ServerIT.agentOf(server.getJson("/api/stats"), busy.value());
            assertThat(busyRow.get("pending").asLong()).as("busy holds work").isPositive();
            assertThat(server.get("/metrics").body())
                    .as("one status series per agent")
                    .containsOnlyOnce("agentbus_agent_status{agent=\"" + busy + "\"");
            release.countDown();
            busyInstance.close();
            failingInstance.close();
        }
    }

    @Test
    void deadConsumersAreMarkedThenForgottenUnlessTheyHoldEntries(LocalRedis redis, RawRedis raw) {
        try (RunningServer server = new RunningServer(redis, OPTIONS, Duration.ofSeconds(2))) {
            AgentId agent = TestIds.freshAgent("abandoned");
            send(server, agent, 1);
            readAsRaw(raw, agent, "holder", 1);
            raw.commands().xgroupCreateconsumer(normalBand(agent), Consumer.from(KeySchema.INBOX_GROUP, "empty"));

            InboxStats marked = await().atMost(Duration.ofSeconds(5))
                    .until(
                            () -> server.bus().sync().inbox(agent),
                            inbox -> inbox.consumers().size() == 2
                                    && inbox.consumers().stream().noneMatch(InboxStats.ConsumerStats::live));
            InboxStats forgotten = await().atMost(Duration.ofSeconds(10))
                    .until(
                            () -> server.bus().sync().inbox(agent),
                            inbox -> inbox.consumers().size() == 1);

            assertThat(marked.consumers())
                    .extracting(InboxStats.ConsumerStats::name)
                    .containsExactlyInAnyOrder("holder", "empty");
            assertThat(forgotten.consumers()).singleElement().satisfies(holder -> {
                assertThat(holder.name()).isEqualTo("holder");
                assertThat(holder.pending())
                        .as("what it holds is never dropped")
                        .isEqualTo(1);
                assertThat(holder.live()).isFalse();
            });
            // The server's sample, a second behind, comes to the same figure.
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> ServerIT.agentOf(server.getJson("/api/stats"), agent.value())
                                    .get("dead_consumers")
                                    .asInt()
                            == 1);
        }
    }

    private static void send(RunningServer server, AgentId agent, int count) {
        for (int i = 0; i < count; i++) {
            server.bus()
                    .sync()
                    .send(Envelope.builder()
                            .from("status_test")
                            .to(agent)
                            .type("task")
                            .payload(Map.of("n", i))
                            .build());
        }
    }

    private static String normalBand(AgentId agent) {
        return KeySchema.inbox(agent, KeySchema.NORMAL_BAND_LOWEST_PRIORITY);
    }

    private static void readAsRaw(RawRedis raw, AgentId agent, String consumer, int count) {
        String band = normalBand(agent);
        raw.commands().xgroupCreate(XReadArgs.StreamOffset.from(band, "0"), KeySchema.INBOX_GROUP);
        raw.commands()
                .xreadgroup(
                        Consumer.from(KeySchema.INBOX_GROUP, consumer),
                        XReadArgs.Builder.count(count),
                        XReadArgs.StreamOffset.lastConsumed(band));
    }
}
