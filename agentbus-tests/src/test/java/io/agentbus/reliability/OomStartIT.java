package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Under {@code maxmemory} with {@code noeviction}, Redis refuses every write that could grow memory,
 * {@code XGROUP CREATE} and {@code CREATECONSUMER} included; reading and acknowledging are still allowed.
 * A restarted instance must be able to start on its inbox, whose group exists, and drain the backlog:
 * that is what relieves the pressure.
 */
@ExtendWith(RedisServerExtension.class)
class OomStartIT {

    private static final int BACKLOG = 200;

    @Test
    void anInstanceStartsUnderMemoryPressureAndDrainsItsInbox(LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("oom");
        Set<String> handled = ConcurrentHashMap.newKeySet();
        try (AgentBus before = AgentBus.connect(redis.uri())) {
            before.subscribe(agent, delivery -> {}).close(); // the group exists, nobody reads now
            for (int i = 0; i < BACKLOG; i++) {
                before.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("task")
                                .payload("{}")
                                .build());
            }
        }
        String usedMemory = raw.commands()
                .info("memory")
                .lines()
                .filter(line -> line.startsWith("used_memory:"))
                .findFirst()
                .orElseThrow()
                .substring("used_memory:".length())
                .trim();
        raw.commands().configSet("maxmemory-policy", "noeviction");
        raw.commands().configSet("maxmemory", usedMemory);
        assertThatThrownBy(() -> raw.commands().sadd("probe:oom", "x"))
                .as("the server refuses writes")
                .hasMessageContaining("OOM");

        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(
                    agent,
                    delivery -> handled.add(delivery.envelope().messageId().value()));

            await().atMost(Duration.ofSeconds(30)).until(() -> handled.size() == BACKLOG);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> raw.commands()
                                    .xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                                    .getCount()
                            == 0);
        } finally {
            raw.commands().configSet("maxmemory", "0");
        }

        ScenarioResult.print(
                "oom-start", "drained", handled.size() == BACKLOG ? "all" : handled.size(), "backlog", BACKLOG);
        assertThat(handled).hasSize(BACKLOG);
    }
}
