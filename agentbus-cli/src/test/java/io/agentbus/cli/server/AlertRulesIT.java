package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/alerts/agentbus-rules.yml: promtool accepts it and its unit tests (agentbus-rules.test.yml) pass, each
 * incident of issue 19 fires and no healthy look-alike does, and every metric it names is documented and exposed by
 * {@code agentbus server}.
 */
@ExtendWith(RedisServerExtension.class)
class AlertRulesIT {

    private static final Path RULES = Path.of("..", "docs", "alerts", "agentbus-rules.yml");
    private static final Path RULE_TESTS = Path.of("..", "docs", "alerts", "agentbus-rules.test.yml");
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .build();

    /** Series that Prometheus makes itself for every scrape target: the exporter alerts read them. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    /** The incidents of issue 19 that must each fire: the keys of the test groups named "incident KEY: …". */
    private static final Set<String> INCIDENTS = Set.of(
            "no-consumer-backlog",
            "stuck-consumer",
            "dead-letters-growing",
            "redis-down",
            "exporter-down",
            "backlog-age");

    private static final Pattern INCIDENT_GROUP = Pattern.compile("incident ([a-z-]+): .+");
    private static final String HEALTHY_GROUP = "healthy ";

    @Test
    void everyMetricTheRulesNameIsExposedByTheServer(LocalRedis redis) throws IOException {
        Map<String, Set<String>> metricsByAlert = metricsByAlert();
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

            Set<String> named = agentbusMetrics(metricsByAlert);
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
    void everyMetricTheRulesNameIsDocumented() throws IOException {
        Set<String> undocumented = agentbusMetrics(metricsByAlert());

        undocumented.removeAll(DocumentedMetrics.read());

        assertThat(undocumented)
                .as("metric names in the rules that docs/OPERATIONS.md (Monitoring) does not list")
                .isEmpty();
    }

    @Test
    void theSeedAlertsKeepTheirNameDurationSeverityAndMessage() throws IOException {
        Map<String, JsonNode> rules = new LinkedHashMap<>();
        rules().forEach(rule -> rules.put(rule.get("alert").asText(), rule));

        assertThat(rules.keySet())
                .startsWith(
                        "RedisDown",
                        "HighMessageLatency",
                        "MessageProcessingBacklog",
                        "DeadLettersGrowing",
                        "InboxPendingTooOld");
        assertSeed(rules.get("RedisDown"), "1m", "critical", "Redis message bus is down");
        assertSeed(rules.get("HighMessageLatency"), "5m", "warning", "Message latency exceeds 1 second");
        assertSeed(
                rules.get("MessageProcessingBacklog"), "10m", "warning", "Messages publishing faster than consuming");
        assertSeed(
                rules.get("InboxPendingTooOld"), "5m", "warning", "A message has been pending for more than 5 minutes");
        assertThat(rules.get("DeadLettersGrowing").has("for")).isFalse();
        assertThat(rules.get("DeadLettersGrowing").at("/annotations/summary").asText())
                .isEqualTo("Dead letters are growing");
        assertThat(rules.get("RedisDown").get("expr").asText()).isEqualTo("redis_connected == 0");
        assertThat(rules.get("HighMessageLatency").get("expr").asText()).endsWith("> 1.0");
        // The seed's ratio, sent > 1.2 × acked, read on the backlog: it grows by more than 0.2 × acked.
        assertThat(rules.get("MessageProcessingBacklog").get("expr").asText())
                .startsWith("deriv(agentbus_inbox_backlog[10m])")
                .contains("> 0.2 * (rate(agentbus_messages_acked_total[10m])");
        assertThat(rules.get("DeadLettersGrowing").get("expr").asText())
                .isEqualTo("increase(agentbus_messages_dead_lettered_total[15m]) > 0");
        assertThat(rules.get("InboxPendingTooOld").get("expr").asText())
                .isEqualTo("agentbus_inbox_oldest_pending_age_seconds > 300");
    }

    @Test
    void everyIncidentHasATestGroupAndEveryAlertIsSeenFiring() throws IOException {
        JsonNode ruleTests = YAML.readTree(RULE_TESTS.toFile());
        Set<String> incidents = new TreeSet<>();
        Set<String> alertsSeenFiring = new TreeSet<>();
        List<String> healthyGroupsExpectingAlerts = new ArrayList<>();

        for (JsonNode group : ruleTests.get("tests")) {
            String name = group.get("name").asText();
            incidentOf(name).ifPresent(incidents::add);
            for (JsonNode assertion : group.get("alert_rule_test")) {
                if (!assertion.path("exp_alerts").isEmpty()) {
                    alertsSeenFiring.add(assertion.get("alertname").asText());
                    if (name.startsWith(HEALTHY_GROUP)) {
                        healthyGroupsExpectingAlerts.add(name);
                    }
                }
            }
        }

        assertThat(incidents).isEqualTo(INCIDENTS);
        assertThat(alertsSeenFiring)
                .as("alerts that some incident group shows firing")
                .containsExactlyInAnyOrderElementsOf(
                        rules().map(rule -> rule.get("alert").asText()).toList());
        assertThat(healthyGroupsExpectingAlerts)
                .as("healthy groups only assert that nothing fires")
                .isEmpty();
    }

    /**
     * promtool fails a run on any mismatch without saying which incident it belongs to, so each incident group is
     * run on its own (it fired when its run passes, since each asserts its alert firing), and each assertion of the
     * healthy groups too (one that fails is an alert firing where none should).
     */
    @Test
    void promtoolPassesTheRulesAndEveryIncidentFiresWithoutFalseFires(@TempDir Path work) throws Exception {
        String promtool = promtool();
        long rules = rules().count();

        Promtool check = Promtool.run(promtool, "check", "rules", RULES.toString());
        Promtool unitTests = Promtool.run(promtool, "test", "rules", RULE_TESTS.toString());

        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + rules + " rules found");

        JsonNode ruleTests = YAML.readTree(RULE_TESTS.toFile());
        int incidents = 0;
        int fired = 0;
        int healthyChecks = 0;
        int falseFires = 0;
        for (JsonNode group : ruleTests.get("tests")) {
            String name = group.get("name").asText();
            if (incidentOf(name).isPresent()) {
                incidents++;
                fired += passesAlone(promtool, work, ruleTests, (ObjectNode) group) ? 1 : 0;
            } else if (name.startsWith(HEALTHY_GROUP)) {
                for (JsonNode assertion : group.get("alert_rule_test")) {
                    ObjectNode single = ((ObjectNode) group).deepCopy();
                    single.putArray("alert_rule_test").add(assertion);
                    healthyChecks++;
                    falseFires += passesAlone(promtool, work, ruleTests, single) ? 0 : 1;
                }
            }
        }

        System.out.println("RESULT scenario=alert-rules incidents=" + incidents + " fired=" + fired + " false_fires="
                + falseFires);
        assertThat(unitTests.exit()).as(unitTests.output()).isZero();
        assertThat(incidents).isEqualTo(INCIDENTS.size());
        assertThat(fired).isEqualTo(incidents);
        assertThat(healthyChecks).isGreaterThanOrEqualTo(INCIDENTS.size());
        assertThat(falseFires).isZero();
    }

    /** Runs one test group of the rule tests in a file of its own, against the same rules. */
    private static boolean passesAlone(String promtool, Path work, JsonNode ruleTests, ObjectNode group)
            throws Exception {
        ObjectNode file = YAML.createObjectNode();
        file.putArray("rule_files").add(RULES.toAbsolutePath().normalize().toString());
        file.set("evaluation_interval", ruleTests.get("evaluation_interval"));
        file.putArray("tests").add(group);
        Path path = Files.createTempFile(work, "group", ".test.yml");
        YAML.writeValue(path.toFile(), file);

        Promtool run = Promtool.run(promtool, "test", "rules", path.toString());
        if (run.exit() != 0) {
            System.out.println(
                    "promtool test rules failed for \"" + group.get("name").asText() + "\":\n" + run.output());
        }
        return run.exit() == 0;
    }

    private record Promtool(int exit, String output) {

        static Promtool run(String... command) throws Exception {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as(String.join(" ", command))
                    .isTrue();
            return new Promtool(process.exitValue(), output);
        }
    }

    /** promtool from PATH: CI installs it (Debian package prometheus) and never skips; elsewhere it may be absent. */
    private static String promtool() {
        Optional<File> found = Stream.of(System.getenv("PATH").split(File.pathSeparator))
                .map(dir -> new File(dir, "promtool"))
                .filter(File::canExecute)
                .findFirst();
        String missing = "promtool is not on PATH: install the Debian package prometheus (.ci/run does)";
        assertThat(found.isPresent() || !"true".equals(System.getenv("CI")))
                .as("CI never skips this test: " + missing)
                .isTrue();
        assumeTrue(found.isPresent(), missing);
        return found.get().getPath();
    }

    private static Optional<String> incidentOf(String groupName) {
        Matcher incident = INCIDENT_GROUP.matcher(groupName);
        return incident.matches() ? Optional.of(incident.group(1)) : Optional.empty();
    }

    private static void assertSeed(JsonNode rule, String duration, String severity, String message) {
        assertThat(rule.get("for").asText()).isEqualTo(duration);
        assertThat(rule.at("/labels/severity").asText()).isEqualTo(severity);
        assertThat(rule.at("/annotations/summary").asText()).isEqualTo(message);
    }

    private static Stream<JsonNode> rules() throws IOException {
        JsonNode file = YAML.readTree(RULES.toFile());
        return StreamSupport.stream(file.get("groups").spliterator(), false)
                .flatMap(group -> StreamSupport.stream(group.get("rules").spliterator(), false));
    }

    private static Map<String, Set<String>> metricsByAlert() throws IOException {
        Map<String, Set<String>> byAlert = new LinkedHashMap<>();
        rules().forEach(rule -> byAlert.put(
                rule.get("alert").asText(),
                PromQlMetricNames.in(rule.get("expr").asText())));
        return byAlert;
    }

    /** The metrics the rules name, without those Prometheus makes itself. */
    private static Set<String> agentbusMetrics(Map<String, Set<String>> metricsByAlert) {
        Set<String> names =
                metricsByAlert.values().stream().flatMap(Set::stream).collect(Collectors.toCollection(TreeSet::new));
        names.removeAll(PROMETHEUS_SERIES);
        return names;
    }
}
