package io.agentbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cluster scenario's parsing and reporting, without a server: its run is {@code BenchQuickIT}'s. */
class ClusterScenarioTest {

    @Test
    void clusterUriGivesEverySeedItsCredentials() {
        List<RedisURI> seeds = ClusterScenario.seeds("redis-cluster://bench:secret@10.0.0.1:7000,10.0.0.2:7001");

        assertThat(seeds).extracting(RedisURI::getHost).containsExactly("10.0.0.1", "10.0.0.2");
        assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001);
        assertThat(seeds).allSatisfy(seed -> {
            RedisCredentials credentials =
                    seed.getCredentialsProvider().resolveCredentials().block();
            assertThat(credentials.getUsername()).isEqualTo("bench");
            assertThat(credentials.getPassword()).containsExactly("secret".toCharArray());
        });
    }

    @Test
    void onlyAClusterUriNamesTheClusterToMeasure() {
        assertThatThrownBy(() -> new BenchSettings(
                        List.of(), true, Path.of("out"), List.of(), false, Optional.of("redis://localhost:6379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis-cluster://");
    }

    @Test
    void tableGivesTheRatioToStandaloneTheConnectionsAndTheShareOfEachMaster() {
        List<Result> results = List.of(
                throughput(ClusterScenario.STANDALONE, 1, 10_000),
                connections(ClusterScenario.STANDALONE, 2),
                throughput(ClusterScenario.CLUSTER, 3, 7_500),
                connections(ClusterScenario.CLUSTER, 8),
                stored(1, "127.0.0.1:7000", 300, 30_000),
                stored(2, "127.0.0.1:7001", 300, 30_000),
                stored(3, "127.0.0.1:7002", 400, 40_000));

        String table = Tables.markdown(results);

        assertThat(table)
                .contains("### cluster (1,000 agents")
                .contains("| agentbus | standalone | 1 | 10,000 | 1.00 | 2 |")
                .contains("| agentbus | cluster | 3 | 7,500 | 0.75 | 8 |")
                .contains("| agentbus | 3 | 127.0.0.1:7002 | 400 | 40,000 | 40.0 % |");
    }

    @Test
    void clientListFieldsAndPortsAreRead() {
        Map<String, String> fields = ProcessSockets.fields(
                "id=7 addr=127.0.0.1:50123 laddr=127.0.0.1:7000 fd=9 name=agentbus age=3 flags=N db=0");

        assertThat(fields).containsEntry("name", "agentbus").containsEntry("flags", "N");
        assertThat(ProcessSockets.port(fields.get("addr"))).isEqualTo(50123);
        assertThat(ProcessSockets.port("[::1]:6380")).isEqualTo(6380);
        assertThat(ProcessSockets.port("garbage")).isEqualTo(-1);
        assertThat(ProcessSockets.fields("  ")).isEmpty();
    }

    private static Result throughput(String topology, int masters, double perSecond) {
        return new Result(
                AgentBusSystem.NAME,
                Scenario.CLUSTER.id(),
                Result.MSGS_PER_S,
                perSecond,
                Map.of("topology", topology, "masters", masters, "agents", 1_000, "runs", 3));
    }

    private static Result connections(String topology, int connections) {
        return new Result(
                AgentBusSystem.NAME,
                Scenario.CLUSTER.id(),
                Result.CONNECTIONS,
                connections,
                Map.of("topology", topology, "agents", 1_000));
    }

    private static Result stored(int master, String node, int streams, long entries) {
        return new Result(
                AgentBusSystem.NAME,
                Scenario.CLUSTER.id(),
                Result.STORED_MESSAGES,
                entries,
                Map.of(
                        "topology",
                        ClusterScenario.CLUSTER,
                        "agents",
                        1_000,
                        "master",
                        master,
                        "node",
                        node,
                        "streams",
                        streams));
    }
}
