package io.agentbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Runs the CI-sized bench ({@code --quick}) end to end so that the harness cannot rot. It checks that
 * the harness produced well-formed results, never how fast anything was: speeds on a shared 2-core
 * machine are not a test.
 */
class BenchQuickIT {

    @Test
    void quickRunWritesResultsForEverySystemInEveryScenarioAndAChart() throws Exception {
        Path out = Path.of("target", "bench-quick-it");
        Bench bench = new Bench(new BenchSettings(List.of(), true, out, List.of(), false));

        BenchReport report = bench.run();

        assertThat(report.failures()).isEmpty();
        JsonNode json = Payloads.MAPPER.readTree(report.resultsFile().toFile());
        assertThat(json.get("machine").get("cores").asInt()).isPositive();
        assertThat(json.get("versions").get("redis").asText()).matches("\\d+\\.\\d+.*");
        assertThat(json.get("versions").get("java").asText()).isNotBlank();
        assertThat(json.get("commit").asText()).isNotBlank();
        Set<String> systems = new HashSet<>();
        Set<String> measured = new HashSet<>();
        List<String> nonPositive = new ArrayList<>();
        for (JsonNode result : json.get("results")) {
            systems.add(result.get("system").asText());
            measured.add(result.get("system").asText() + " in "
                    + result.get("scenario").asText());
            assertThat(Scenario.of(result.get("scenario").asText())).isNotNull();
            assertThat(result.get("metric").asText())
                    .isIn(
                            Result.MSGS_PER_S,
                            Result.MB_PER_S,
                            Result.P50_MS,
                            Result.P90_MS,
                            Result.P99_MS,
                            Result.P999_MS,
                            Result.MAX_MS,
                            Result.CONNECTIONS,
                            Result.STORED_MESSAGES,
                            Result.TIME_TO_EMPTY_S);
            assertThat(result.get("params").isObject()).isTrue();
            if (!(result.get("value").isNumber() && result.get("value").asDouble() > 0)) {
                nonPositive.add(result.toString());
            }
        }
        assertThat(nonPositive).isEmpty();
        List<String> expected = new ArrayList<>(Systems.NAMES);
        if (RedisBenchmark.binary() == null) {
            expected.removeAll(List.of(RedisBenchmark.P1, RedisBenchmark.P16));
            assertThat(report.notes()).anyMatch(note -> note.contains("no redis-benchmark on PATH"));
        }
        assertThat(systems).containsExactlyInAnyOrderElementsOf(expected);
        List<String> expectedRuns = new ArrayList<>();
        for (String system : expected) {
            for (Scenario scenario : Scenario.values()) {
                if (Systems.runs(system, scenario)) {
                    expectedRuns.add(system + " in " + scenario.id());
                }
            }
        }
        assertThat(measured).containsExactlyInAnyOrderElementsOf(expectedRuns);
        assertThat(json.get("results"))
                .filteredOn(result -> Set.of(Scenario.BROADCAST.id(), Scenario.DURABLE_TOPIC.id())
                                .contains(result.get("scenario").asText())
                        && !Systems.isRedisBenchmark(result.get("system").asText()))
                .allMatch(result -> result.get("params").get("subscribers").asInt() > 0);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.REQUEST_REPLY.id()))
                .isNotEmpty()
                .allMatch(result -> result.get("params").get("concurrency").asInt() > 0);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.CLUSTER.id())
                        && result.get("metric").asText().equals(Result.MSGS_PER_S))
                .extracting(result -> result.get("params").get("topology").asText())
                .containsExactly(ClusterScenario.STANDALONE, ClusterScenario.CLUSTER);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.CLUSTER.id())
                        && result.get("metric").asText().equals(Result.STORED_MESSAGES)
                        && result.get("params").get("topology").asText().equals(ClusterScenario.CLUSTER))
                .hasSize(3);
        assertThat(json.get("results"))
                .filteredOn(result -> Systems.runs(
                                Systems.CEILING,
                                Scenario.of(result.get("scenario").asText()))
                        && !Systems.isRedisBenchmark(result.get("system").asText()))
                .isNotEmpty()
                .allMatch(result -> result.get("x_lettuce_plain").asDouble() > 0);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("system").asText().equals(Systems.CEILING))
                .allMatch(result -> result.get("x_lettuce_plain").asDouble() == 1.0);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.BACKLOG_DRAIN.id()))
                .extracting(result -> result.get("params").get("messages").asInt())
                .isNotEmpty()
                .containsOnly(10_000);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.DEPARTMENT.id())
                        && result.get("metric").asText().equals(Result.MSGS_PER_S))
                .extracting(result -> result.get("system").asText() + " "
                        + result.get("params").get("load").asText())
                .containsExactlyInAnyOrder(
                        AgentBusSystem.NAME + " " + DepartmentScenario.AT_RATE,
                        AgentBusSystem.NAME + " " + DepartmentScenario.AS_FAST,
                        LettucePlainSystem.NAME + " " + DepartmentScenario.AT_RATE,
                        LettucePlainSystem.NAME + " " + DepartmentScenario.AS_FAST,
                        RedissonSystem.NAME + " " + DepartmentScenario.AT_RATE,
                        RedissonSystem.NAME + " " + DepartmentScenario.AS_FAST);
        assertThat(json.get("results"))
                .filteredOn(result -> result.get("scenario").asText().equals(Scenario.DEPARTMENT.id()))
                .allMatch(result -> result.get("params").get("agents").asInt() == 15
                        && result.get("params").get("processes").asInt() == 3
                        && result.get("params").get("seconds").asInt() == 5);
        byte[] png = Files.readAllBytes(report.chartFile());
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(Files.readString(report.tableFile()))
                .contains(
                        "| agentbus |",
                        "| lettuce-plain |",
                        "× lettuce-plain",
                        "### backlog-drain",
                        "### department",
                        "### broadcast",
                        "### durable-topic",
                        "### request-reply",
                        "### cluster");
    }
}
