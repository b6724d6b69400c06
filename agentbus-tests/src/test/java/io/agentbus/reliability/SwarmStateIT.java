package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.Swarms;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmStateIT {

    @Test
    void eightConcurrentWritersLoseNoUpdate(LocalRedis redis) throws Exception {
        String swarm = "cas-" + System.nanoTime();
        int writers = 8;
        int updatesEach = Scale.of(100, 1_000);
        AtomicLong conflicts = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            Swarms swarms = bus.swarms();
            swarms.write(swarm, 0, "{\"count\":0}");
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(CompletableFuture.runAsync(
                        () -> {
                            for (int i = 0; i < updatesEach; i++) {
                                while (true) { // read, modify, write; on a conflict read again
                                    Swarms.State state = swarms.read(swarm).orElseThrow();
                                    long count = Long.parseLong(state.json().replaceAll("\\D", ""));
                                    try {
                                        swarms.write(swarm, state.version(), "{\"count\":" + (count + 1) + "}");
                                        break;
                                    } catch (StateConflictException e) {
                                        conflicts.incrementAndGet();
                                    }
                                }
                            }
                        },
                        pool));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();

            long count = Long.parseLong(swarms.read(swarm).orElseThrow().json().replaceAll("\\D", ""));
            long updates = (long) writers * updatesEach;
            ScenarioResult.print("state-cas", "writers", writers, "updates", updates, "lost_updates", updates - count);
            ScenarioResult.note("state-cas", "conflicts retried: " + conflicts.get());
            assertThat(count).isEqualTo(updates);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anInterruptedSwarmResumesFromItsLastCheckpoint(LocalRedis redis) {
        String swarm = "cfn-" + System.nanoTime();
        Duration ttl = Duration.ofMillis(500);
        try (AgentBus coordinator = AgentBus.connect(redis.uri());
                AgentBus rescuer = AgentBus.connect(redis.uri())) {
            Swarms swarms = coordinator.swarms();
            long version = swarms.write(swarm, 0, "{\"phase\":\"research\"}");
            swarms.heartbeat(swarm, "coordinator-1", ttl);
            version = swarms.write(swarm, version, "{\"phase\":\"draft\"}");
            Swarms.Checkpoint checkpoint = swarms.checkpoint(swarm, "draft-done");
            swarms.write(swarm, version, "{\"phase\":\"review\",\"half\":true}"); // lost work: after the checkpoint
            // The coordinator crashes: no more heartbeats.

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> rescuer.swarms().show(swarm).orElseThrow().interrupted());
            assertThat(rescuer.swarms().list()).extracting(Swarms.Info::swarm).contains(swarm);
            Swarms.Checkpoint resumed = rescuer.swarms().recover(swarm, "coordinator-2", Duration.ofSeconds(30));

            ScenarioResult.print("swarm-recovery", "checkpoint", checkpoint.label(), "resumed_from", resumed.label());
            assertThat(resumed).isEqualTo(checkpoint);
            assertThat(rescuer.swarms().read(swarm).orElseThrow().json()).isEqualTo("{\"phase\":\"draft\"}");
            assertThat(rescuer.swarms().show(swarm).orElseThrow().coordinator()).hasValue("coordinator-2");
        }
    }
}
