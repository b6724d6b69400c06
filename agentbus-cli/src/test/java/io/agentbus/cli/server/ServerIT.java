package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.cli.AgentBusCommand;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.agentbus.testkit.TestIds;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class ServerIT {

    /** A sample line of the text format: name, optional labels, a value, an optional timestamp. */
    private static final Pattern SAMPLE =
            Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*})? "
                    + "(-?[0-9.eE+-]+|NaN|[+-]Inf)( -?[0-9]+)?");

    @Test
    void apiStatsCountsExactlyTheOperationsOfAScriptedRunAndSeesTheirRate(LocalRedis redis) {
        int messages = 100;
        int poisonEvery = 20;
        int poison = ScriptedTraffic.poisonOf(messages, poisonEvery);
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "stats")) {
            List<Double> sentRates = new ArrayList<>();

            traffic.send(messages, poisonEvery);

            JsonNode agent = await().atMost(Duration.ofSeconds(15))
                    .until(
                            () -> {
                                JsonNode stats = server.getJson("/api/stats");
                                sentRates.add(stats.at("/rate/sent_per_second").asDouble());
                                return agentOf(stats, traffic.agent.value());
                            },
                            row -> row != null
                                    && row.at("/counters/acked").asLong()
                                                    + row.at("/counters/dead_lettered")
                                                            .asLong()
                                            == messages);
            JsonNode counters = agent.get("counters");
            List<String> mismatches = new ArrayList<>();
            expect(mismatches, "sent", counters.get("sent").asLong(), messages);
            expect(mismatches, "deduplicated", counters.get("deduplicated").asLong(), 1);
            expect(mismatches, "acked", counters.get("acked").asLong(), messages - poison);
            expect(mismatches, "dead_lettered", counters.get("dead_lettered").asLong(), poison);
            expect(mismatches, "retried", counters.get("retried").asLong(), 0);
            expect(mismatches, "dead_letters", agent.get("dead_letters").asLong(), poison);
            expect(mismatches, "pending", agent.get("pending").asLong(), 0);
            expect(mismatches, "live", agent.get("live").asBoolean() ? 1 : 0, 1);
            System.out.println("RESULT scenario=server-stats-exact operations=" + (messages + 1) + " mismatches="
                    + mismatches.size());
            assertThat(mismatches).isEmpty();
            assertThat(agent.get("consumers").asInt()).isEqualTo(1);
            // The rate is a delta of Redis counters between 1-s samples: the 100 sends must show in one of them.
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                sentRates.add(
                        server.getJson("/api/stats").at("/rate/sent_per_second").asDouble());
                return sentRates.stream().anyMatch(rate -> rate > 0);
            });
        }
    }

    @Test
    void metricsServesValidPrometheusTextWithTheRedisSideGaugesPerAgent(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "gauges")) {
            traffic.send(10, 5);
            String tag = "{agent=\"" + traffic.agent + "\"}";

            String exposition = await().atMost(Duration.ofSeconds(10))
                    .until(
                            () -> server.get("/metrics").body(),
                            body -> body.contains("inbox_dead_letters" + tag + " 2.0"));
            HttpResponse<String> response = server.get("/metrics");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type"))
                    .hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(exposition.lines().filter(line -> !line.isEmpty() && !line.startsWith("#")))
                    .allSatisfy(line -> assertThat(line).matches(SAMPLE));
            assertThat(exposition)
                    .contains(
                            "inbox_length" + tag + " ",
                            "inbox_pending" + tag + " 0.0",
                            "inbox_oldest_pending_age_seconds" + tag + " 0.0",
                            "# TYPE agents_live gauge");
            assertThat(exposition).containsPattern("(?m)^agents_live [1-9]");
        }
    }

    @Test
    void dlqApiListsDeadLettersAndRedrivesThemByIdOrAll(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "dlq")) {
            traffic.send(9, 3);
            String path = "/api/dlq/" + traffic.agent;
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.getJson(path).get("count").asInt() == 3);
            JsonNode listed = server.getJson(path);
            traffic.heal();

            HttpResponse<String> notJson = server.post(path + "/redrive", "text/plain", "{\"all\":true}");
            JsonNode byId = RunningServer.json(server.post(
                            path + "/redrive",
                            "application/json",
                            "{\"ids\":[\"" + listed.at("/dead_letters/0/id").asText() + "\",\"no-such-id\"]}")
                    .body());
            JsonNode all = RunningServer.json(server.post(path + "/redrive", "application/json", "{\"all\":true}")
                    .body());

            assertThat(listed.get("dead_letters"))
                    .hasSize(3)
                    .allSatisfy(dead -> assertThat(dead.get("reason").asText()).isNotEmpty());
            assertThat(notJson.statusCode()).isEqualTo(400);
            assertThat(byId.get("redriven").asInt()).isEqualTo(1);
            assertThat(byId.get("missing"))
                    .singleElement()
                    .extracting(JsonNode::asText)
                    .isEqualTo("no-such-id");
            assertThat(all.get("redriven").asInt()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                JsonNode agent = agentOf(server.getJson("/api/stats"), traffic.agent.value());
                return agent != null
                        && agent.get("dead_letters").asInt() == 0
                        && agent.at("/counters/acked").asInt() == 9
                        && agent.at("/counters/redriven").asInt() == 3;
            });
            assertThat(server.get("/api/dlq/not%20an%20id").statusCode()).isEqualTo(400);
            assertThat(server.get(path + "/redrive").statusCode()).isEqualTo(405);
        }
    }

    @Test
    void tailApiReturnsTheNewestRecordsThenOnlyThoseAfterItsCursor(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "tail")) {
            traffic.send(3, 100);
            JsonNode first = await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.getJson("/api/tail"), tail -> count(tail, traffic.agent.value(), "acked") == 3);

            traffic.send(2, 100);
            JsonNode next = await().atMost(Duration.ofSeconds(10))
                    .until(
                            () -> server.getJson(
                                    "/api/tail?after=" + first.get("cursor").asText()),
                            tail -> count(tail, traffic.agent.value(), "acked") == 2);

            assertThat(count(first, traffic.agent.value(), "sent")).isEqualTo(3);
            assertThat(count(next, traffic.agent.value(), "sent")).isEqualTo(2); // the resend is not a new record
            assertThat(server.get("/api/tail?after=garbage!").statusCode()).isEqualTo(400);
        }
    }

    @Test
    void dashboardPageAndItsScriptAreServedFromTheJar(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder())) {
            HttpResponse<String> page = server.get("/");
            HttpResponse<String> script = server.get("/dashboard.js");

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.body())
                    .contains("id=\"agents\"", "src=\"/dashboard.js\"")
                    .doesNotContain("https://");
            assertThat(script.body()).contains("/api/stats", "/api/tail", "/api/history");
            assertThat(server.get("/agent.js").body()).contains("/api/agents/", "/api/dlq/");
            assertThat(server.get("/charts.js").statusCode()).isEqualTo(200);
            assertThat(server.get("/nothing-here").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void agentApiPeeksAndListsPendingWithoutConsumingAndRefusesBadInput(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder())) {
            AgentId agent = AgentId.of("peeked-" + System.nanoTime());
            for (int i = 1; i <= 3; i++) {
                server.bus()
                        .sync()
                        .send(Envelope.builder()
                                .from("api_test")
                                .to(agent)
                                .type("task")
                                .payload(Map.of("n", i))
                                .build());
            }
            String base = "/api/agents/" + agent;
            await().atMost(Duration.ofSeconds(10)).until(() -> server.get(base).statusCode() == 200);

            JsonNode oldest = server.getJson(base + "/messages?from=oldest&n=2");
            JsonNode newest = server.getJson(base + "/messages");
            JsonNode pending = server.getJson(base + "/pending");

            assertThat(oldest.path("messages")).hasSize(2);
            assertThat(oldest.at("/messages/0/payload/n").asInt()).isEqualTo(1);
            assertThat(oldest.at("/messages/0/unread").asBoolean()).isTrue();
            assertThat(newest.path("messages")).hasSize(3);
            assertThat(newest.at("/messages/0/payload/n").asInt()).isEqualTo(3);
            assertThat(pending.path("pending")).isEmpty();
            assertThat(server.bus().sync().inbox(agent).groupExists())
                    .as("reading delivered nothing")
                    .isFalse();
            assertThat(server.get(base + "/messages?from=middle").statusCode()).isEqualTo(400);
            assertThat(server.get(base + "/messages?n=0").statusCode()).isEqualTo(400);
            assertThat(server.get(base + "/messages?n=101").statusCode()).isEqualTo(400);
            assertThat(server.get(base + "/messages?n=ten").statusCode()).isEqualTo(400);
            assertThat(server.get(base + "/elsewhere").statusCode()).isEqualTo(404);
            assertThat(server.get("/api/agents/not%20an%20id/messages").statusCode())
                    .isEqualTo(400);
            assertThat(server.get("/api/agents/nobody-here/messages").statusCode())
                    .isEqualTo(404);
            assertThat(server.bus().registry().known()).doesNotContain(AgentId.of("nobody-here"));
            assertThat(server.get("/api/history?agent=nobody-here").statusCode())
                    .isEqualTo(404);
            assertThat(server.getJson("/api/history").path("series").has("sent_per_second"))
                    .isTrue();
        }
    }

    @Test
    void purgeApiDeletesDeadLettersOnlyForAJsonBody(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "purge")) {
            traffic.send(4, 2);
            String path = "/api/dlq/" + traffic.agent;
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.getJson(path).path("count").asInt() == 2);

            HttpResponse<String> form = server.post(path + "/purge", "application/x-www-form-urlencoded", "all=true");
            HttpResponse<String> notJson = server.post(path + "/purge", "application/json", "all");
            HttpResponse<String> nothingAsked = server.post(path + "/purge", "application/json", "{}");
            int countAfterRefusals = server.getJson(path).path("count").asInt();
            HttpResponse<String> purged = server.post(path + "/purge", "application/json", "{\"all\": true}");

            assertThat(form.statusCode()).isEqualTo(400);
            assertThat(notJson.statusCode()).isEqualTo(400);
            assertThat(nothingAsked.statusCode()).isEqualTo(400);
            assertThat(countAfterRefusals).isEqualTo(2);
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(RunningServer.json(purged.body()).path("purged").asInt()).isEqualTo(2);
            assertThat(server.getJson(path).path("count").asInt()).isZero();
            assertThat(server.post(path + "/shred", "application/json", "{}").statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void serverFailsAtOnceWithAClearMessageWhenThePortIsTaken(LocalRedis redis) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();

            CliRun run = CliRun.execute("--redis", redis.uri(), "server", "--port", Integer.toString(port));

            assertThat(run.exitCode()).isEqualTo(ExitCodes.INCOMPLETE);
            assertThat(run.err())
                    .startsWith("agentbus: cannot listen on 127.0.0.1:" + port + ": ")
                    .contains("choose another with --port");
        }
    }

    @Test
    void serverCommandServesThenStopsCleanlyOnSigterm(LocalRedis redis) throws Exception {
        Path err = Files.createTempFile("agentbus-server", ".err");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        AgentBusCommand.class.getName(),
                        "--redis",
                        redis.uri(),
                        "server",
                        "--port",
                        "0")
                .redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String announced = await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.readString(err), text -> text.contains("agentbus server: dashboard"));
            String base = announced.replaceAll("(?s).*dashboard (http://\\S+)/ .*", "$1");
            HttpResponse<String> stats = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(base + "/api/stats"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            process.destroy(); // SIGTERM, as a service manager stops it

            assertThat(stats.statusCode()).isEqualTo(200);
            assertThat(process.waitFor(20, TimeUnit.SECONDS))
                    .as("stopped within 20 s")
                    .isTrue();
            assertThat(Files.readString(err))
                    .contains("agentbus server: stopping", "agentbus server: stopped")
                    .doesNotContain("Exception");
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }

    @Test
    void statsCommandPrintsTheFiguresOfTheApi(LocalRedis redis) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "cli")) {
            traffic.send(4, 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                JsonNode agent = agentOf(server.getJson("/api/stats"), traffic.agent.value());
                return agent != null
                        && agent.get("dead_letters").asInt() == 2
                        && agent.at("/counters/acked").asInt() == 2;
            });

            CliRun table = CliRun.execute("--redis", redis.uri(), "stats");
            CliRun json = CliRun.execute("--redis", redis.uri(), "stats", "--json");

            assertThat(table.exitCode()).isZero();
            assertThat(table.out().lines().filter(line -> line.startsWith(traffic.agent.value() + " ")))
                    .singleElement()
                    .asString()
                    .matches(traffic.agent + " +ok +yes +\\d+ +0 +- +0 +- +2 +0 +1 +4 +2 +0 +2 +0 +0 +1");
            assertThat(table.out()).contains("rate ", "live agents (", traffic.agent + " (worker)");
            JsonNode agent = agentOf(RunningServer.json(json.out()), traffic.agent.value());
            assertThat(agent.at("/counters/sent").asInt()).isEqualTo(4);
            assertThat(agent.at("/counters/deduplicated").asInt()).isEqualTo(1);
            assertThat(agent.get("dead_letters").asInt()).isEqualTo(2);
        }
    }

    @Test
    void oneAgentWithABrokenKeyNeverHidesTheOthersFromStatsOrTheServer(LocalRedis redis, RawRedis raw) {
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "healthy")) {
            traffic.send(4, 2);
            String broken = TestIds.freshName("broken");
            server.bus()
                    .sync()
                    .send(io.agentbus.Envelope.builder()
                            .from("cmo")
                            .to(broken)
                            .type("task")
                            .payload("{}")
                            .build());
            String brokenTag = "{agent=\"" + broken + "\"}";
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.get("/metrics").body().contains("inbox_length" + brokenTag + " 1.0"));
            raw.commands().del(KeySchema.counters(io.agentbus.AgentId.of(broken)));
            raw.commands().set(KeySchema.counters(io.agentbus.AgentId.of(broken)), "not a hash");

            await().atMost(Duration.ofSeconds(10)).until(() -> {
                JsonNode stats = server.getJson("/api/stats");
                return agentOf(stats, traffic.agent.value()) != null
                        && stats.get("agent_errors").size() == 1
                        && stats.get("sample_age_ms").asLong() < 5_000;
            });
            CliRun table = CliRun.execute("--redis", redis.uri(), "stats");
            CliRun json = CliRun.execute("--redis", redis.uri(), "stats", "--json");

            assertThat(table.exitCode()).as(table.err()).isZero();
            assertThat(table.out())
                    .contains(traffic.agent.value() + " ")
                    .contains(broken + "  cannot be read: ")
                    .contains("WRONGTYPE");
            JsonNode stats = RunningServer.json(json.out());
            assertThat(agentOf(stats, traffic.agent.value())).isNotNull();
            assertThat(stats.at("/agent_errors/0/agent").asText()).isEqualTo(broken);
            assertThat(stats.at("/totals/agents_with_errors").asInt()).isEqualTo(1);
            // Its gauges go rather than show its last figures for ever; it is flagged unreadable instead.
            String exposition = server.get("/metrics").body();
            assertThat(exposition)
                    .doesNotContain("inbox_length" + brokenTag)
                    .contains("agent_unreadable" + brokenTag + " 1.0")
                    .contains("inbox_length{agent=\"" + traffic.agent.value() + "\"}")
                    .containsPattern("(?m)^stats_sample_age_seconds [0-9.]+");
        }
    }

    static JsonNode agentOf(JsonNode stats, String agent) {
        return StreamSupport.stream(stats.get("agents").spliterator(), false)
                .filter(row -> row.get("agent").asText().equals(agent))
                .findFirst()
                .orElse(null);
    }

    private static long count(JsonNode tail, String agent, String event) {
        return StreamSupport.stream(tail.get("entries").spliterator(), false)
                .filter(entry -> entry.get("event").asText().equals(event)
                        && agent.equals(entry.path("to_agent").asText()))
                .count();
    }

    private static void expect(List<String> mismatches, String figure, long actual, long expected) {
        if (actual != expected) {
            mismatches.add(figure + "=" + actual + " (expected " + expected + ")");
        }
    }
}
