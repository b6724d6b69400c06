package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import org.junit.jupiter.api.Test;

/** {@code demo --topology}: the demo on a local deployment it starts, or a clear refusal. */
class DemoTopologyIT {

    @Test
    void sentinelRunsTheDemoOnALocalSentinelGroupAndLosesNothing() {
        CliRun demo = CliRun.execute("demo", "--topology", "sentinel", "--messages", "300");

        assertRanWithoutLoss(demo);
        assertThat(demo.err())
                .containsPattern("(?m)^agentbus: local Sentinel group of Redis \\S+: master 127\\.0\\.0\\.1:\\d+,"
                        + " 2 replicas \\S+, sentinels redis-sentinel://\\S+#mymaster \\(stopped on exit\\)$")
                .contains("--redis redis-sentinel://");
    }

    @Test
    void clusterRunsTheDemoOnALocalClusterAndLosesNothing() {
        CliRun demo = CliRun.execute("demo", "--topology", "cluster", "--messages", "300");

        assertRanWithoutLoss(demo);
        assertThat(demo.err())
                .containsPattern("(?m)^agentbus: local cluster of Redis \\S+: masters \\S+, one replica each, at"
                        + " redis-cluster://\\S+ \\(stopped on exit\\)$");
    }

    @Test
    void aTopologyWithAGivenRedisIsRefused() {
        CliRun demo = CliRun.execute("demo", "--topology", "sentinel", "--redis", "redis://127.0.0.1:1");

        assertThat(demo.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(demo.err()).startsWith("agentbus: --topology sentinel starts a local Redis, but --redis names one");
        assertThat(demo.out()).isEmpty();
    }

    private static void assertRanWithoutLoss(CliRun demo) {
        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out().lines())
                .singleElement()
                .satisfies(summary -> assertThat(summary)
                        .startsWith("sent=300 delivered=300 ")
                        .contains(" lost=0 "));
    }
}
