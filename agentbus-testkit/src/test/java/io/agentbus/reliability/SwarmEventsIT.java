package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.LocalRedis;
import io.agentbus.Priority;
import io.agentbus.SwarmEvents;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmEventsIT {

    @Test
    void aTypePatternHearsExactlyItsSwarmsMatchingEvents(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<String> heard = new CopyOnWriteArrayList<>();
            bus.swarmEvents("s1").listen("agent.*", (channel, event) -> heard.add(channel));

            bus.swarmEvents("s1").publish("agent.joined", event(5)).toCompletableFuture().join();
            bus.swarmEvents("s1").publish("task.done", event(5)).toCompletableFuture().join();
            bus.swarmEvents("s2").publish("agent.joined", event(5)).toCompletableFuture().join();
            bus.swarmEvents("s1").publish("agent.left", event(5)).toCompletableFuture().join();

            await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
            assertThat(heard).containsExactly("event:{s1}:agent.joined", "event:{s1}:agent.left");
        }
    }

    @Test
    void underOverloadCriticalEventsBypassWhileTheOthersAreDeferred(LocalRedis redis) {
        int lowSent = 300;
        int criticalSent = 30;
        BusOptions slow = BusOptions.builder().swarmEventRate(50).build(); // a forced overload
        AtomicLong criticalHeard = new AtomicLong();
        AtomicLong lowHeard = new AtomicLong();
        try (AgentBus bus = AgentBus.connect(redis.uri(), slow)) {
            SwarmEvents events = bus.swarmEvents("busy");
            events.listen("*", (channel, event) -> (event.priority() >= 8 ? criticalHeard : lowHeard).incrementAndGet());
            long started = System.nanoTime();
            for (int i = 0; i < lowSent; i++) {
                events.publish("status.update", event(3));
                if (i % 10 == 0) {
                    events.publish("phase.transition", event(Priority.CRITICAL.value()));
                }
            }

            await().atMost(Duration.ofSeconds(5)).until(() -> criticalHeard.get() == criticalSent);
            long criticalMillis = (System.nanoTime() - started) / 1_000_000;
            long throttled = events.deferred();
            ScenarioResult.print("priority-bypass", "critical_sent", criticalSent, "critical_delivered", criticalHeard.get(),
                    "low_sent", lowSent, "low_throttled", throttled);
            ScenarioResult.note("priority-bypass", "all critical events heard " + criticalMillis + " ms after the burst began");
            assertThat(throttled).isGreaterThan(lowSent / 2);
            assertThat(lowHeard.get()).isLessThan(lowSent); // still deferred when every critical one is out
            await().atMost(Duration.ofSeconds(15)).until(() -> lowHeard.get() == lowSent); // deferred, not dropped
        }
    }

    private static Envelope event(int priority) {
        return Envelope.builder().from("coordinator").to("swarm").type("event").payload(Map.of("p", priority))
                .priority(priority).build();
    }
}
