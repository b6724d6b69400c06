package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The server's hour of history, fed with /api/stats JSON as the recorder feeds it. */
class StatsHistoryTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long SECOND_NANOS = 1_000_000_000L;

    private final StatsHistory history = new StatsHistory();

    @Test
    void ratesAreCounterDeltasPerSecondAndDepthsAreTheFigures() {
        history.record(0, Optional.of(stats(agent("worker", 0, 0, 0, 3, null))), 0);
        history.record(5000, Optional.of(stats(agent("worker", 50, 40, 5, 7, 12L))), 5 * SECOND_NANOS);

        JsonNode series = history.toJson(Optional.of("worker")).orElseThrow().path("series");

        assertThat(series.path("sent_per_second").get(0).isNull())
                .as("no rate without an earlier point")
                .isTrue();
        assertThat(series.path("sent_per_second").get(1).asDouble()).isEqualTo(10.0);
        assertThat(series.path("acked_per_second").get(1).asDouble()).isEqualTo(8.0);
        assertThat(series.path("dead_lettered_per_second").get(1).asDouble()).isEqualTo(1.0);
        assertThat(series.path("pending").get(1).asLong()).isEqualTo(7);
        assertThat(series.path("backlog").get(0).isNull())
                .as("no backlog where the JSON has no unread")
                .isTrue();
        assertThat(series.path("backlog").get(1).asLong()).isEqualTo(12);
        JsonNode total = history.toJson(Optional.empty()).orElseThrow().path("series");
        assertThat(total.path("sent_per_second").get(1).asDouble()).isEqualTo(10.0);
        assertThat(total.path("backlog").get(1).asLong()).as("the agents' sum").isEqualTo(12);
    }

    @Test
    void keepsTheLastHourOnly() {
        int recorded = StatsHistory.CAPACITY + 80;
        for (int i = 0; i < recorded; i++) {
            history.record(i * 5000L, Optional.of(stats(agent("worker", i, i, 0, 0, null))), i * 5 * SECOND_NANOS);
        }

        JsonNode json = history.toJson(Optional.of("worker")).orElseThrow();

        assertThat(json.path("times")).hasSize(StatsHistory.CAPACITY);
        assertThat(json.path("times").get(0).asLong()).isEqualTo(80 * 5000L);
        assertThat(json.path("times").get(StatsHistory.CAPACITY - 1).asLong()).isEqualTo((recorded - 1) * 5000L);
        assertThat(json.path("series").path("sent_per_second")).hasSize(StatsHistory.CAPACITY);
    }

    @Test
    void aStaleSampleIsAGapAndAnAgentGoneIsDropped() {
        history.record(0, Optional.of(stats(agent("worker", 0, 0, 0, 1, null), agent("ghost", 0, 0, 0, 1, null))), 0);
        history.record(5000, Optional.empty(), 0);
        history.record(10_000, Optional.of(stats(agent("worker", 10, 10, 0, 2, null))), 10 * SECOND_NANOS);

        JsonNode worker = history.toJson(Optional.of("worker")).orElseThrow().path("series");

        assertThat(worker.path("pending").get(1).isNull()).isTrue();
        assertThat(worker.path("pending").get(2).asLong()).isEqualTo(2);
        assertThat(worker.path("sent_per_second").get(2).asDouble())
                .as("the rate spans the gap")
                .isEqualTo(1.0);
        assertThat(history.toJson(Optional.of("ghost"))).isEmpty();
    }

    private static ObjectNode agent(String id, long sent, long acked, long deadLettered, long pending, Long unread) {
        ObjectNode agent = MAPPER.createObjectNode();
        agent.put("agent", id);
        agent.put("pending", pending);
        agent.put("dead_letters", deadLettered);
        if (unread != null) {
            agent.put("unread", unread);
        }
        agent.putObject("counters").put("sent", sent).put("acked", acked).put("dead_lettered", deadLettered);
        return agent;
    }

    /** The parts of /api/stats the history reads: the agents, and totals summed from them. */
    private static JsonNode stats(ObjectNode... agents) {
        ObjectNode stats = MAPPER.createObjectNode();
        ObjectNode totals = stats.putObject("totals");
        for (String figure : new String[] {"sent", "acked", "dead_lettered"}) {
            long sum = 0;
            for (ObjectNode agent : agents) {
                sum += agent.path("counters").path(figure).asLong();
            }
            totals.put(figure, sum);
        }
        long pending = 0;
        for (ObjectNode agent : agents) {
            pending += agent.path("pending").asLong();
        }
        totals.put("pending", pending);
        stats.putArray("agents").addAll(List.of(agents));
        return stats;
    }
}
