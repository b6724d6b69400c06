package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.cli.CliRun;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.swarm.Swarms;
import io.agentbus.testkit.RedisServerExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmDemoIT {

    @Test
    void theLoopSurvivesItsCoordinatorsCrashAndResumesFromTheCheckpointLosingNothing(LocalRedis redis) {
        CliRun demo = CliRun.execute("demo", "swarm", "--redis", redis.uri());

        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out().lines()).hasSize(1);
        Map<String, String> summary = fields(demo.out());
        int phases = SwarmDemoCommand.PHASES.size();
        int agentsPerSwarm = SwarmDemoCommand.AGENTS_PER_SWARM;
        assertThat(summary)
                .containsEntry("swarms", "2")
                .containsEntry("agents", "" + 2 * agentsPerSwarm)
                .containsEntry("phases", "" + phases)
                .containsEntry("events", "" + phases * 2 * agentsPerSwarm * 2)
                .containsEntry("phase_transitions", "" + phases * 2)
                .containsEntry("messages", "" + phases * 2 * agentsPerSwarm)
                .containsEntry("received", "" + phases * 2 * agentsPerSwarm)
                .containsEntry("checkpoint", "after-build")
                .containsEntry("crashed_at", "review")
                .containsEntry("resumed_from", "after-build")
                .containsEntry("replayed", "" + SwarmDemoCommand.CRASH_AFTER * 2 * agentsPerSwarm)
                .containsEntry("lost", "0");
        assertThat(demo.err()).contains("coordinator-1 crashed during review").contains("coordinator-2 recovered");
        // What Redis holds afterwards: the loop, coordinated by the second coordinator, all phases done.
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<Swarms.Info> loops = bus.swarms().list().stream()
                    .filter(info -> info.swarm().startsWith("cfn-"))
                    .toList();
            assertThat(loops).singleElement().satisfies(loop -> {
                assertThat(loop.coordinator()).contains("coordinator-2");
                assertThat(loop.state().orElseThrow().json()).contains("\"phases_done\":" + phases);
                assertThat(loop.lastCheckpoint().orElseThrow().label()).isEqualTo("after-consensus");
            });
        }
    }

    private static Map<String, String> fields(String out) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : out.strip().split(" ")) {
            String[] nameAndValue = field.split("=", 2);
            fields.put(nameAndValue[0], nameAndValue[1]);
        }
        assertThat(fields.keySet())
                .containsExactly(
                        "swarms",
                        "agents",
                        "phases",
                        "events",
                        "phase_transitions",
                        "messages",
                        "received",
                        "checkpoint",
                        "crashed_at",
                        "resumed_from",
                        "replayed",
                        "lost");
        return fields;
    }
}
