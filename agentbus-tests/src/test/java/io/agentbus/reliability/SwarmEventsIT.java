package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import io.agentbus.RequestTimeoutException;
import io.agentbus.SendOptions;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.SwarmOptions;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
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

            bus.swarmEvents("s1")
                    .publish("agent.joined", event(5))
                    .toCompletableFuture()
                    .join();
            bus.swarmEvents("s1")
                    .publish("task.done", event(5))
                    .toCompletableFuture()
                    .join();
            bus.swarmEvents("s2")
                    .publish("agent.joined", event(5))
                    .toCompletableFuture()
                    .join();
            bus.swarmEvents("s1")
                    .publish("agent.left", event(5))
                    .toCompletableFuture()
                    .join();

            await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
            assertThat(heard).containsExactly("event:{s1}:agent.joined", "event:{s1}:agent.left");
        }
    }

    @Test
    void underOverloadCriticalEventsBypassWhileTheOthersAreDeferred(LocalRedis redis) {
        int lowSent = 300;
        int criticalSent = 30;
        BusOptions slow = BusOptions.builder()
                .swarm(SwarmOptions.builder().eventRate(50).build())
                .build(); // a forced overload
        AtomicLong criticalHeard = new AtomicLong();
        AtomicLong lowHeard = new AtomicLong();
        try (AgentBus bus = AgentBus.connect(redis.uri(), slow)) {
            SwarmEvents events = bus.swarmEvents("busy");
            events.listen(
                    "*", (channel, event) -> (event.priority() >= 8 ? criticalHeard : lowHeard).incrementAndGet());
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
            ScenarioResult.print(
                    "priority-bypass",
                    "critical_sent",
                    criticalSent,
                    "critical_delivered",
                    criticalHeard.get(),
                    "low_sent",
                    lowSent,
                    "low_throttled",
                    throttled);
            ScenarioResult.note(
                    "priority-bypass", "all critical events heard " + criticalMillis + " ms after the burst began");
            assertThat(throttled).isGreaterThan(lowSent / 2);
            assertThat(lowHeard.get()).isLessThan(lowSent); // still deferred when every critical one is out
            await().atMost(Duration.ofSeconds(15)).until(() -> lowHeard.get() == lowSent); // deferred, not dropped
        }
    }

    @Test
    void aDurableTypeReachesAGroupThatWasOfflineWhileAnEphemeralOneReachesNobody(LocalRedis redis) throws Exception {
        String swarm = freshName("cfn");
        AgentId build = AgentId.of("build");
        try (AgentBus bus = AgentBus.connect(redis.uri());
                RawRedis raw = RawRedis.connect(redis)) {
            SwarmEvents events = bus.swarmEvents(swarm);
            DurableTopic phases = events.durable("phase.transition");
            phases.subscribe(build, DurableTopic.StartFrom.NOW, RecordingHandler.acking())
                    .close(); // then offline
            bus.swarmEvents(swarm).listen("*", (channel, event) -> {}).close();

            assertThat(events.publish("phase.transition", event(Priority.CRITICAL.value()))
                            .toCompletableFuture()
                            .join())
                    .isEqualTo(SwarmEvents.Outcome.PUBLISHED);
            events.publish("agent.status", event(5)).toCompletableFuture().join();

            List<String> heard = new CopyOnWriteArrayList<>();
            events.listen("*", (channel, event) -> heard.add(channel));
            RecordingHandler returning = RecordingHandler.acking();
            phases.subscribe(build, DurableTopic.StartFrom.NOW, returning);
            assertThat(returning.await(1, Duration.ofSeconds(10)))
                    .singleElement()
                    .satisfies(delivery ->
                            assertThat(delivery.envelope().priority()).isEqualTo(9));
            String stream = "event:{" + swarm + "}:phase.transition";
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> raw.commands().xpending(stream, "build").getCount() == 0);
            assertThat(raw.commands().xlen(stream)).isEqualTo(1);
            assertThat(heard).isEmpty(); // the ephemeral event went while nobody listened, and is gone
        }
    }

    @Test
    void whileASubscribersCircuitIsOpenItsLowPriorityEventsWaitAndCriticalOnesBypass(LocalRedis redis)
            throws Exception {
        int lowSent = 20;
        int criticalSent = 5;
        Duration coolDown = Duration.ofSeconds(1);
        AgentId worker = freshAgent("worker");
        AtomicLong criticalHeard = new AtomicLong();
        AtomicLong lowHeard = new AtomicLong();
        try (AgentBus bus = AgentBus.connect(
                redis.uri(),
                BusOptions.builder()
                        .send(SendOptions.builder().breaker(2, coolDown).build())
                        .build())) {
            bus.subscribe(AgentId.of("coordinator"), RecordingHandler.acking());
            bus.subscribe(worker, RecordingHandler.acking()); // handles requests, never replies
            for (int i = 0; i < 2; i++) {
                Envelope ping = Envelope.builder()
                        .from("coordinator")
                        .to(worker)
                        .type("ping")
                        .payload("{}")
                        .build();
                assertThatThrownBy(() -> bus.request(ping, Duration.ofMillis(200))
                                .toCompletableFuture()
                                .join())
                        .hasCauseInstanceOf(RequestTimeoutException.class);
            }
            SwarmEvents events = bus.swarmEvents("guarded");
            events.listen(
                    "*", (channel, event) -> (event.priority() >= 8 ? criticalHeard : lowHeard).incrementAndGet());

            List<SwarmEvents.Outcome> lowOutcomes = new ArrayList<>();
            for (int i = 0; i < lowSent; i++) {
                lowOutcomes.add(events.publish("agent.task", event(worker, 5))
                        .toCompletableFuture()
                        .join());
            }
            for (int i = 0; i < criticalSent; i++) {
                events.publish("phase.transition", event(worker, Priority.CRITICAL.value()));
            }

            await().atMost(Duration.ofSeconds(5)).until(() -> criticalHeard.get() == criticalSent);
            long lowBeforeCoolDown = lowHeard.get();
            ScenarioResult.print(
                    "breaker-bypass",
                    "critical_sent",
                    criticalSent,
                    "critical_delivered",
                    criticalHeard.get(),
                    "low_sent",
                    lowSent,
                    "low_deferred",
                    events.deferred());
            assertThat(lowOutcomes).containsOnly(SwarmEvents.Outcome.DEFERRED);
            assertThat(lowBeforeCoolDown).isZero();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> lowHeard.get() == lowSent); // once the circuit lets a probe by
        }
    }

    private static Envelope event(AgentId to, int priority) {
        return Envelope.builder()
                .from("coordinator")
                .to(to)
                .type("event")
                .payload(Map.of("p", priority))
                .priority(priority)
                .build();
    }

    private static Envelope event(int priority) {
        return Envelope.builder()
                .from("coordinator")
                .to("swarm")
                .type("event")
                .payload(Map.of("p", priority))
                .priority(priority)
                .build();
    }
}
