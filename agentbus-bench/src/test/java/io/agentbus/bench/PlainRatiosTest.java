package io.agentbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every figure's ratio to lettuce-plain, in results.json and results.md; no bench runs here. */
class PlainRatiosTest {

    @Test
    void eachFigureIsDividedByLettucePlainsOfTheSameScenarioMetricAndPoint() {
        List<Result> results = List.of(
                p99(LettucePlainSystem.NAME, 1_000, 2.0),
                p99(LettucePlainSystem.NAME, 10_000, 4.0),
                p99(AgentBusSystem.NAME, 1_000, 5.0),
                p99(AgentBusSystem.NAME, 10_000, 6.0),
                new Result(
                        AgentBusSystem.NAME,
                        Scenario.BROADCAST.id(),
                        Result.MSGS_PER_S,
                        50_000,
                        Map.of("subscribers", 10)));

        List<Result> withRatios = PlainRatios.add(results);

        assertThat(withRatios).extracting(Result::xLettucePlain).containsExactly(1.0, 1.0, 2.5, 1.5, null);
    }

    @Test
    void aCountReadBackAsALongStillMatchesThePointItWasWrittenAs() {
        List<Result> results = List.of(
                throughput(LettucePlainSystem.NAME, 100_000, Map.of("agents", 10)),
                throughput(AgentBusSystem.NAME, 25_000, Map.of("agents", 10L)));

        assertThat(PlainRatios.add(results).get(1).xLettucePlain()).isEqualTo(0.25);
    }

    @Test
    void resultsJsonCarriesTheRatioOnlyWhereThereIsOne() throws Exception {
        Result measured = throughput(AgentBusSystem.NAME, 25_000, Map.of()).withXLettucePlain(0.25);
        Result alone = throughput(AgentBusSystem.NAME, 25_000, Map.of());

        String json = Payloads.MAPPER.writeValueAsString(measured);

        assertThat(json).contains("\"x_lettuce_plain\":0.25");
        assertThat(Payloads.MAPPER.readValue(json, Result.class)).isEqualTo(measured);
        assertThat(Payloads.MAPPER.writeValueAsString(alone)).doesNotContain("x_lettuce_plain");
    }

    @Test
    void tablesGiveTheRatioToLettucePlainBesideTheOthers() {
        List<Result> results = PlainRatios.add(List.of(
                throughput(LettucePlainSystem.NAME, 100_000, Map.of()),
                throughput(LettuceRawSystem.NAME, 40_000, Map.of()),
                throughput(AgentBusSystem.NAME, 25_000, Map.of()),
                backlog(LettucePlainSystem.NAME, Result.MSGS_PER_S, 80_000),
                backlog(LettucePlainSystem.NAME, Result.TIME_TO_EMPTY_S, 1.25),
                backlog(AgentBusSystem.NAME, Result.MSGS_PER_S, 20_000),
                backlog(AgentBusSystem.NAME, Result.TIME_TO_EMPTY_S, 5.0)));

        String table = Tables.markdown(results);

        assertThat(table)
                .contains("| system | msgs/s | × lettuce-plain | × lettuce-raw |")
                .contains("| agentbus | 25,000 | 0.25 | 0.63 |")
                .contains("### backlog-drain (100,000 messages")
                .contains("| agentbus | 20,000 | 5.00 | 0.25 |");
    }

    private static Result p99(String system, int rate, double millis) {
        return new Result(system, Scenario.DIRECT_LATENCY.id(), Result.P99_MS, millis, Map.of("rate", rate));
    }

    private static Result throughput(String system, double perSecond, Map<String, Object> params) {
        return new Result(system, Scenario.DIRECT_THROUGHPUT.id(), Result.MSGS_PER_S, perSecond, params);
    }

    private static Result backlog(String system, String metric, double value) {
        Map<String, Object> params = Map.of("messages", 100_000, "payload_bytes", 256);
        return new Result(system, Scenario.BACKLOG_DRAIN.id(), metric, value, params);
    }
}
