package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.InboxStats;
import io.agentbus.Subscription;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Instances that ended without closing (SIGKILL, a crash) leave their consumer in the inbox's group and
 * their entry in {@code agent:{id}:instances}; a running instance of the agent removes both. A consumer
 * that holds a pending entry is removed only once a live instance has reclaimed the entry: its message
 * is handled, never dropped from the pending entries list.
 */
@ExtendWith(RedisServerExtension.class)
class SweepingIT {

    private static final Duration VISIBILITY = Duration.ofMillis(200);

    @Test
    void aLiveInstanceRemovesDeadConsumersAndStaleInstancesButNeverPendingWork(LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("swept");
        String inbox = KeySchema.inbox(agent, 5);
        Queue<String> handled = new ConcurrentLinkedQueue<>();
        // The leftovers of two killed instances: one idle with nothing pending, one holding a message.
        raw.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(inbox, "0"),
                        KeySchema.INBOX_GROUP,
                        XGroupCreateArgs.Builder.mkstream());
        raw.commands().xgroupCreateconsumer(inbox, Consumer.from(KeySchema.INBOX_GROUP, "killed-idle"));
        raw.commands()
                .xadd(
                        inbox,
                        Map.of(
                                "message_id", "held-by-the-dead",
                                "from_agent", "cmo",
                                "to_agent", agent.value(),
                                "message_type", "task",
                                "payload", "{}",
                                "timestamp", Instant.now().toString()));
        raw.commands()
                .xreadgroup(
                        Consumer.from(KeySchema.INBOX_GROUP, "killed-holding"),
                        XReadArgs.StreamOffset.lastConsumed(inbox));
        raw.commands().zadd(KeySchema.instances(agent), 1.0, "killed-idle");
        BusOptions sweeping = BusOptions.builder()
                .delivery(
                        DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
                .build();

        try (AgentBus bus = AgentBus.connect(redis.uri(), sweeping)) {
            Subscription live = bus.subscribe(
                    agent,
                    delivery -> handled.add(delivery.envelope().messageId().value()));

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> !consumers(bus, agent).contains("killed-idle")
                            && !consumers(bus, agent).contains("killed-holding")
                            && raw.commands().zscore(KeySchema.instances(agent), "killed-idle") == null);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> raw.commands()
                                    .xpending(inbox, KeySchema.INBOX_GROUP)
                                    .getCount()
                            == 0);

            Set<String> after = consumers(bus, agent);
            long deadConsumersAfter =
                    after.stream().filter(name -> name.startsWith("killed-")).count();
            long staleInstancesAfter = raw.commands().zscore(KeySchema.instances(agent), "killed-idle") == null ? 0 : 1;
            ScenarioResult.print(
                    "sweeping",
                    "dead_consumers_after",
                    deadConsumersAfter,
                    "stale_instances_after",
                    staleInstancesAfter,
                    "held_message_handled",
                    handled.contains("held-by-the-dead"));
            assertThat(after).containsExactly(live.consumer());
            assertThat(handled).containsExactly("held-by-the-dead");
            assertThat(deadConsumersAfter).isZero();
            assertThat(staleInstancesAfter).isZero();
        }
    }

    /** The consumer names of the agent's inbox, as {@code bus.inbox(agent)} reports them over its bands. */
    private static Set<String> consumers(AgentBus bus, AgentId agent) {
        return bus.sync().inbox(agent).consumers().stream()
                .map(InboxStats.ConsumerStats::name)
                .collect(Collectors.toSet());
    }
}
