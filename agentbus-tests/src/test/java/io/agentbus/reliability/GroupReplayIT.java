package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A consumer group destroyed under a running instance ({@code XGROUP DESTROY}) is created again from the
 * stream's first entry, so the retained, already handled entries are delivered again as attempt 1: that
 * replay is at least once, as promised, and it is told, not silent (a WARN and a counter).
 */
@ExtendWith(RedisServerExtension.class)
class GroupReplayIT {

    private static final int HANDLED = 5;

    @Test
    void aDestroyedGroupIsCreatedAgainAndTheReplayIsCounted(LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("replayed");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(
                redis.uri(), BusOptions.builder().meterRegistry(registry).build())) {
            bus.subscribe(agent, delivery -> attempts.add(delivery.attempt()));
            for (int i = 0; i < HANDLED; i++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("task")
                                .payload("{}")
                                .build());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == HANDLED);

            raw.commands().xgroupDestroy(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP);

            await().atMost(Duration.ofSeconds(15)).until(() -> attempts.size() == 2 * HANDLED);
            double counted = registry.get("consumer.group.recreations")
                    .tag("agent", agent.value())
                    .counter()
                    .count();
            ScenarioResult.print(
                    "group-replay", "replayed", attempts.size() - HANDLED, "counted_recreations", (long) counted);
            assertThat(attempts).containsOnly(1);
            assertThat(counted).isEqualTo(1.0);
        }
    }
}
