package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** docs/alerts/agentbus-rules.yml against what {@code agentbus server} really exposes. */
@ExtendWith(RedisServerExtension.class)
class AlertRulesIT {

    private static final Path RULES = Path.of("..", "docs", "alerts", "agentbus-rules.yml");
    /** An identifier not followed by "(" (a function) once label lists, ranges and strings are gone. */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])[a-zA-Z_:][\\w:]*+(?!\\s*\\()");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

    @Test
    void everyMetricTheRulesNameIsExposedByTheServer(LocalRedis redis) throws IOException {
        Map<String, Set<String>> metricsByAlert = metricsByAlert(rules());
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "alerts")) {
            // Sends, handling and dead letters through the server's own bus, so its meters get series.
            traffic.send(10, 5);

            String exposition = await().atMost(Duration.ofSeconds(15))
                    .until(
                            () -> server.get("/metrics").body(),
                            body -> body.contains("inbox_dead_letters{agent=\"" + traffic.agent + "\"} 2.0"));
            Set<String> exposed = exposition
                    .lines()
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .map(line -> line.split("[{ ]", 2)[0])
                    .collect(Collectors.toCollection(TreeSet::new));

            Set<String> named = metricsByAlert.values().stream()
                    .flatMap(Set::stream)
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<String> missing = new TreeSet<>(named);
            missing.removeAll(exposed);
            System.out.println("RESULT scenario=alert-rules-metrics rules=" + metricsByAlert.size()
                    + " metrics=" + named.size() + " missing=" + missing.size()
                    + (missing.isEmpty() ? "" : " missing_names=" + String.join(",", missing)));
            assertThat(metricsByAlert)
                    .allSatisfy((alert, names) -> assertThat(names).as(alert).isNotEmpty());
            assertThat(missing)
                    .as("metric names in the rules that /metrics does not expose")
                    .isEmpty();
        }
    }

    @Test
    void theSeedAlertsKeepTheirNameDurationSeverityAndMessage() throws IOException {
        Map<String, JsonNode> rules = new LinkedHashMap<>();
        rules().forEach(rule -> rules.put(rule.get("alert").asText(), rule));

        assertThat(rules.keySet())
                .containsExactly(
                        "RedisDown",
                        "HighMessageLatency",
                        "MessageProcessingBacklog",
                        "DeadLettersGrowing",
                        "InboxPendingTooOld");
        assertSeed(rules.get("RedisDown"), "1m", "critical", "Redis message bus is down");
        assertSeed(rules.get("HighMessageLatency"), "5m", "warning", "Message latency exceeds 1 second");
        assertSeed(
                rules.get("MessageProcessingBacklog"), "10m", "warning", "Messages publishing faster than consuming");
        assertThat(rules.get("RedisDown").get("expr").asText()).isEqualTo("redis_connected == 0");
        assertThat(rules.get("HighMessageLatency").get("expr").asText()).endsWith("> 1.0");
        assertThat(rules.get("MessageProcessingBacklog").get("expr").asText()).endsWith("* 1.2");
        assertThat(rules.get("InboxPendingTooOld").get("expr").asText())
                .isEqualTo("inbox_oldest_pending_age_seconds > 300");
        assertThat(rules.get("InboxPendingTooOld").get("for").asText()).isEqualTo("5m");
    }

    @Test
    void metricNamesAreReadFromExpressionsWithoutFunctionsLabelsOrRanges() {
        assertThat(
                        metricNames(
                                "histogram_quantile(0.99, sum by (le, agent) (rate(message_latency_seconds_bucket[5m]))) > 1.0"))
                .containsExactly("message_latency_seconds_bucket");
        assertThat(metricNames("sum by (agent) (rate(messages_published_total{agent=\"a\"}[5m])) > "
                        + "sum by (agent) (rate(messages_received_total[5m])) * 1.2"))
                .containsExactly("messages_published_total", "messages_received_total");
    }

    @Test
    void promtoolAcceptsTheRulesWhenInstalled() throws Exception {
        boolean installed = Stream.of(System.getenv("PATH").split(File.pathSeparator))
                .anyMatch(dir -> new File(dir, "promtool").canExecute());
        Assumptions.assumeTrue(installed, "promtool is not on PATH (Debian package prometheus)");

        Process promtool = new ProcessBuilder("promtool", "check", "rules", RULES.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS: 5 rules found");
    }

    private static void assertSeed(JsonNode rule, String duration, String severity, String message) {
        assertThat(rule.get("for").asText()).isEqualTo(duration);
        assertThat(rule.at("/labels/severity").asText()).isEqualTo(severity);
        assertThat(rule.at("/annotations/summary").asText()).isEqualTo(message);
    }

    private static Stream<JsonNode> rules() throws IOException {
        JsonNode file = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
        return StreamSupport.stream(file.get("groups").spliterator(), false)
                .flatMap(group -> StreamSupport.stream(group.get("rules").spliterator(), false));
    }

    private static Map<String, Set<String>> metricsByAlert(Stream<JsonNode> rules) {
        Map<String, Set<String>> byAlert = new LinkedHashMap<>();
        rules.forEach(rule -> byAlert.put(
                rule.get("alert").asText(), metricNames(rule.get("expr").asText())));
        return byAlert;
    }

    /** The metric names of a PromQL expression: what is left after ranges, label matchers and lists, and strings. */
    static Set<String> metricNames(String expr) {
        String bare = expr.replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\"[^\"]*\"", " ");
        Set<String> names = new TreeSet<>();
        Matcher matcher = IDENTIFIER.matcher(bare);
        while (matcher.find()) {
            if (!KEYWORDS.contains(matcher.group().toLowerCase(Locale.ROOT))) {
                names.add(matcher.group());
            }
        }
        return names;
    }
}
