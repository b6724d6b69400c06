package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.cli.CliRun;
import org.junit.jupiter.api.Test;

/** The help of {@code demo} and {@code demo swarm}, checked against the demo's own settings. */
class DemoHelpTest {

    @Test
    void demoHelpShowsTheDefaultMessageCount() {
        CliRun run = CliRun.execute("demo", "--help");

        assertThat(run.out()).contains("Default: 2000.");
    }

    @Test
    void demoHelpNamesEverySummaryFieldAndItsDeliverySettings() {
        CliRun run = CliRun.execute("demo", "--help");

        assertThat(run.out().replaceAll("\\s+", " "))
                .contains("sent, delivered, acked, retried, dead_lettered, lost, duplicates, p50_ms, p99_ms,"
                        + " broadcasts, broadcast_receivers, requests and replies")
                .contains("visibility timeout of "
                        + DemoCommand.DELIVERY.visibilityTimeout().toMillis() + " ms")
                .contains("at most " + DemoCommand.DELIVERY.maxAttempts() + " attempts");
    }

    @Test
    void demoSwarmHelpNamesEverySummaryFieldAndThePhases() {
        CliRun run = CliRun.execute("demo", "swarm", "--help");

        assertThat(run.out().replaceAll("\\s+", " "))
                .contains("plan, build, review, consensus")
                .contains("swarms, agents, phases, events")
                .contains("phase_transitions")
                .contains("crashed_at, resumed_from, replayed")
                .contains("lost");
    }
}
