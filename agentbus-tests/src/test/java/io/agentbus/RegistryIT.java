package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class RegistryIT {

    private static final BusOptions FAST_PRESENCE = BusOptions.builder()
            .consumer(ConsumerOptions.builder()
                    .presence(Duration.ofMillis(200), Duration.ofMillis(600))
                    .build())
            .build();

    @Test
    void capabilityQueriesReturnExactlyTheLiveAgentsThatCan(LocalRedis redis) {
        AgentId seo = freshAgent("seo_specialist");
        AgentId writer = freshAgent("copywriter");
        AgentId offline = freshAgent("seo_intern");
        try (AgentBus bus = AgentBus.connect(redis.uri(), FAST_PRESENCE)) {
            AgentRegistry registry = bus.registry();
            registry.publish(new AgentCard(
                    seo, "seo", Set.of("seo_audit", "keywords"), "2.1", "finds keywords", Map.of("team", "growth")));
            registry.publish(AgentCard.of(writer, "copywriter", "copy"));
            registry.publish(AgentCard.of(offline, "intern", "seo_audit"));
            bus.subscribe(seo, RecordingHandler.acking());
            bus.subscribe(writer, RecordingHandler.acking());

            await().atMost(Duration.ofSeconds(10)).until(() -> registry.isLive(seo) && registry.isLive(writer));

            assertThat(registry.withCapability("seo_audit"))
                    .extracting(AgentCard::id)
                    .containsExactly(seo);
            assertThat(registry.withCapability("nothing")).isEmpty();
            assertThat(registry.card(seo)).hasValueSatisfying(card -> {
                assertThat(card.capabilities()).containsExactlyInAnyOrder("seo_audit", "keywords");
                assertThat(card.metadata()).containsEntry("team", "growth");
                assertThat(card.version()).isEqualTo("2.1");
            });
            assertThat(registry.live())
                    .extracting(AgentCard::id)
                    .contains(seo, writer)
                    .doesNotContain(offline);
            assertThat(registry.isLive(offline)).isFalse();
        }
    }

    @Test
    void aCleanlyClosedInstanceLeavesAtOnceAndWatchersAreTold(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("temp");
        List<AgentRegistry.PresenceEvent> events = new CopyOnWriteArrayList<>();
        try (AgentBus observer = AgentBus.connect(redis.uri(), FAST_PRESENCE);
                AgentBus worker = AgentBus.connect(redis.uri(), FAST_PRESENCE)) {
            observer.registry().watch(events::add);
            Subscription instance = worker.subscribe(agent, RecordingHandler.acking());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, true)));

            instance.close();

            assertThat(observer.registry().isLive(agent)).isFalse();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, false)));
        }
    }

    @Test
    void closingTheWholeBusTellsWatchersItsAgentsLeft(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("closing");
        List<AgentRegistry.PresenceEvent> events = new CopyOnWriteArrayList<>();
        try (AgentBus observer = AgentBus.connect(redis.uri(), FAST_PRESENCE)) {
            observer.registry().watch(events::add);
            AgentBus worker = AgentBus.connect(redis.uri(), FAST_PRESENCE);
            worker.subscribe(agent, RecordingHandler.acking());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, true)));

            worker.close(); // its instances leave while the bus closes: their goodbye must still go out

            assertThat(observer.registry().isLive(agent)).isFalse();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, false)));
        }
    }
}
