package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One agent's bad data never stalls the other agents of the process: all of them are read by one lane,
 * the delayed sets of two agents hold members that are not messages, one of them beside a dead
 * letters key of the wrong type, and a third agent's inbox is replaced by a string while it runs. The members that are not messages go to dead letters (or, while the
 * dead letters key is broken, that agent's upkeep alone backs off), a message whose payload a non-Java
 * writer stored as a JSON object is still delivered, and the healthy agents' messages arrive within one
 * read cycle.
 */
@ExtendWith(RedisServerExtension.class)
class AgentIsolationIT {

    private static final int HEALTHY = 3;
    private static final int PER_AGENT = 100;

    @Test
    void badDelayedMembersAndABrokenKeyOfOneAgentDelayNoOtherAgent(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId garbage = freshAgent("garbage");
        AgentId broken = freshAgent("broken");
        AgentId notAStream = freshAgent("not-a-stream");
        List<AgentId> healthy = List.of(freshAgent("healthy"), freshAgent("healthy"), freshAgent("healthy"));
        Queue<Long> delays = new ConcurrentLinkedQueue<>();
        Queue<String> garbagePayloads = new ConcurrentLinkedQueue<>();

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AgentBus bus = AgentBus.connect(
                redis.uri(), BusOptions.builder().meterRegistry(meters).build())) {
            for (AgentId agent : healthy) {
                bus.subscribe(
                        agent,
                        delivery ->
                                delays.add(Duration.between(delivery.envelope().timestamp(), Instant.now())
                                        .toMillis()));
            }
            bus.subscribe(
                    garbage, delivery -> garbagePayloads.add(delivery.envelope().payload()));
            bus.subscribe(broken, delivery -> {});
            bus.subscribe(notAStream, delivery -> {});
            // Its inbox replaced by a string while its instance runs: the lane's read names that key.
            raw.commands().del(KeySchema.inbox(notAStream, 5));
            raw.commands().set(KeySchema.inbox(notAStream, 5), "not a stream");

            raw.commands().set(KeySchema.deadLetters(broken), "not a stream");
            for (AgentId agent : List.of(garbage, broken)) {
                raw.commands().zadd(KeySchema.delayed(agent), 0, "not json at all");
                raw.commands().zadd(KeySchema.delayed(agent), 0, "[1, 2, 3]");
            }
            // As a writer in another language might put it: the payload as an object, the priority a number.
            raw.commands()
                    .zadd(
                            KeySchema.delayed(garbage),
                            0,
                            "{\"v\":\"1\",\"message_id\":\"object-payload\",\"from_agent\":\"py\",\"to_agent\":\""
                                    + garbage.value() + "\",\"message_type\":\"task\",\"payload\":{\"a\":1},"
                                    + "\"timestamp\":\"" + Instant.now() + "\",\"priority\":5}");
            for (int i = 0; i < PER_AGENT; i++) {
                for (AgentId agent : healthy) {
                    bus.sync()
                            .send(Envelope.builder()
                                    .from("sender")
                                    .to(agent)
                                    .type("task")
                                    .payload("{}")
                                    .build());
                }
                Thread.sleep(5); // a steady rate, not one burst
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> delays.size() == HEALTHY * PER_AGENT);
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            garbagePayloads.contains("{\"a\":1}") && ScriptFaultsIT.deadLetters(raw, garbage) == 2);
            // Each broken agent's failures are counted against it, and against no healthy agent.
            for (AgentId agent : List.of(broken, notAStream)) {
                assertThat(maintenanceFailures(meters, agent))
                        .as("failures of %s", agent)
                        .isPositive();
            }
            for (AgentId agent : healthy) {
                assertThat(maintenanceFailures(meters, agent))
                        .as("failures of %s", agent)
                        .isZero();
            }
        }

        long p99 = ScenarioResult.percentile(delays, 99);
        long healthyLost = HEALTHY * PER_AGENT - delays.size();
        ScenarioResult.print(
                "agent-isolation", "bad_agents", 3, "healthy_delay_p99_ms", p99, "healthy_lost", healthyLost);
        assertThat(healthyLost).isZero();
        assertThat(p99).isLessThan(ConsumerOptions.DEFAULT_READ_BLOCK.toMillis());
        // The broken agent's members wait in its delayed set, not lost, until its dead letters are repaired.
        assertThat(raw.commands().zcard(KeySchema.delayed(broken))).isEqualTo(2);
        assertThat(raw.commands().zcard(KeySchema.delayed(garbage))).isZero();
    }

    private static double maintenanceFailures(SimpleMeterRegistry meters, AgentId agent) {
        Counter counter = meters.find("agent.maintenance.failures")
                .tag("agent", agent.value())
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
