package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/grafana/agentbus.json queries only metrics that docs/OPERATIONS.md documents, and shows what an operator needs. */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "agentbus.json");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][\\w:]*)\\s*,");

    @Test
    void everyQueryNamesOnlyDocumentedMetrics() throws IOException {
        Map<String, Set<String>> metricsByQuery = metricsByQuery(dashboard());
        Set<String> documented = DocumentedMetrics.read();

        Map<String, Set<String>> undocumented = new LinkedHashMap<>();
        metricsByQuery.forEach((query, names) -> {
            Set<String> missing = new TreeSet<>(names);
            missing.removeAll(documented);
            if (!missing.isEmpty()) {
                undocumented.put(query, missing);
            }
        });
        assertThat(metricsByQuery).hasSizeGreaterThan(10);
        assertThat(metricsByQuery)
                .as("every query reads a metric")
                .allSatisfy((query, names) -> assertThat(names).as(query).isNotEmpty());
        assertThat(undocumented)
                .as("queries naming metrics that are not in docs/OPERATIONS.md (Monitoring)")
                .isEmpty();
    }

    @Test
    void theDashboardShowsTrafficBacklogPendingStatusLatencyAndRedis() throws IOException {
        JsonNode dashboard = dashboard();

        Set<String> queried = new TreeSet<>();
        metricsByQuery(dashboard).values().forEach(queried::addAll);

        assertThat(queried)
                .contains(
                        "agentbus_messages_sent_total",
                        "agentbus_messages_acked_total",
                        "agentbus_messages_dead_lettered_total",
                        "agentbus_inbox_backlog",
                        "agentbus_inbox_oldest_unread_age_seconds",
                        "agentbus_inbox_pending",
                        "agentbus_inbox_oldest_pending_age_seconds",
                        "agentbus_agent_status",
                        "message_latency_seconds_bucket",
                        "redis_connected");
        assertThat(dashboard.get("schemaVersion").asInt()).isBetween(36, 41);
        assertThat(dashboard.at("/__inputs/0/name").asText()).isEqualTo("DS_PROMETHEUS");
        assertThat(panels(dashboard))
                .filteredOn(panel -> panel.has("targets"))
                .allSatisfy(panel -> assertThat(panel.at("/datasource/uid").asText())
                        .as(panel.get("title").asText())
                        .isEqualTo("${DS_PROMETHEUS}"));
        JsonNode agent = dashboard.at("/templating/list/0");
        assertThat(agent.get("name").asText()).isEqualTo("agent");
        assertThat(agent.get("definition").asText()).isEqualTo("label_values(agentbus_inbox_backlog, agent)");
    }

    @Test
    void metricNamesAreReadWithoutFunctionsLabelsRangesOrVariables() throws IOException {
        assertThat(
                        PromQlMetricNames.in(
                                "histogram_quantile(0.99, sum by (le) (rate(message_latency_seconds_bucket{agent=~\"$agent\"}[$__rate_interval])))"))
                .containsExactly("message_latency_seconds_bucket");
        assertThat(PromQlMetricNames.in("deriv(agentbus_inbox_backlog[10m]) > 0.2 * (rate(agentbus_messages_acked_total"
                        + "[10m]) or agentbus_inbox_backlog offset $__interval * 0)"))
                .containsExactly("agentbus_inbox_backlog", "agentbus_messages_acked_total");
        // A misspelt name is read as a name, and is not documented: the first test would fail on it.
        Set<String> misspelt = PromQlMetricNames.in("sum(rate(agentbus_mesages_sent_total{agent=~\"$agent\"}[5m]))");
        assertThat(misspelt).containsExactly("agentbus_mesages_sent_total");
        assertThat(DocumentedMetrics.read()).doesNotContainAnyElementsOf(misspelt);
    }

    @Test
    void documentedMetricsAreTheFirstCellsOfTheMonitoringTables() throws IOException {
        Set<String> documented = DocumentedMetrics.read();

        assertThat(documented)
                .contains(
                        "redis_connected",
                        "inbox_pending",
                        "messages_dead_lettered_total",
                        "message_latency_seconds_bucket",
                        "message_latency_seconds_count",
                        "agentbus_inbox_backlog",
                        "agentbus_messages_redriven_total")
                .doesNotContain("agent", "GET", "RedisDown", "message_latency_seconds_max_bucket");
    }

    private static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    /** Every panel, those inside collapsed rows included. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    /** Each query of the dashboard, keyed "panel title / refId" (or "variable NAME"), with the metrics it reads. */
    private static Map<String, Set<String>> metricsByQuery(JsonNode dashboard) {
        Map<String, Set<String>> byQuery = new LinkedHashMap<>();
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                String query = panel.get("title").asText() + " / "
                        + target.get("refId").asText();
                byQuery.put(query, PromQlMetricNames.in(target.get("expr").asText()));
            }
        }
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.get("type").asText().equals("query")) {
                Matcher metric = LABEL_VALUES.matcher(variable.get("definition").asText());
                byQuery.put(
                        "variable " + variable.get("name").asText(),
                        metric.find() ? Set.of(metric.group(1)) : Set.of());
            }
        }
        return byQuery;
    }
}
