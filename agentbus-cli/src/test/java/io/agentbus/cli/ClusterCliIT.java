package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.audit.AuditQuery;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.registry.AgentCard;
import io.agentbus.testkit.RedisTopologyExtension;
import io.agentbus.testkit.TestIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The commands that read many agents, swarms or the bus's global keys, on a 3-master cluster
 * ({@code --redis redis-cluster://…}): agents and swarms whose slots are on every master, each one in
 * the output, and no {@code MOVED}, {@code ASK} or {@code CROSSSLOT} reaching the user. The dashboard's
 * JSON API and metrics are read from a real {@code agentbus server} process.
 */
@ExtendWith(RedisTopologyExtension.class)
class ClusterCliIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int MESSAGES_PER_AGENT = 3;
    private static final String CAPABILITY = "cluster-cli";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void commandsAndTheDashboardApiCoverAgentsAndSwarmsOnEveryMaster(RedisClusterNodes cluster) throws Exception {
        List<AgentId> agents = onEveryMaster(cluster, 2, () -> TestIds.freshAgent("clerk")).stream()
                .map(AgentId::of)
                .toList();
        List<String> swarms = onEveryMaster(cluster, 1, () -> TestIds.freshName("campaign"));
        String conversation = TestIds.freshName("cluster-cli");
        String uri = cluster.uri();
        try (AgentBus bus = AgentBus.connect(uri)) {
            traffic(bus, agents, swarms, conversation);

            CliRun stats = CliRun.execute("--redis", uri, "stats");
            CliRun statsJson = CliRun.execute("--redis", uri, "stats", "--json");
            CliRun live = CliRun.execute("--redis", uri, "agents");
            CliRun able = CliRun.execute("--redis", uri, "agents", "--capability", CAPABILITY);
            CliRun tail =
                    CliRun.execute("--redis", uri, "audit", "tail", "--conversation", conversation, "--limit", "1000");
            CliRun swarmList = CliRun.execute("--redis", uri, "swarm", "list");
            List<CliRun> perSwarm = swarms.stream()
                    .map(swarm -> CliRun.execute("--redis", uri, "swarm", "show", swarm))
                    .toList();
            List<CliRun> perAgent = new ArrayList<>();
            for (AgentId agent : agents) {
                perAgent.add(CliRun.execute("--redis", uri, "inbox", agent.value()));
                perAgent.add(CliRun.execute("--redis", uri, "dlq", "list", agent.value()));
                perAgent.add(CliRun.execute("--redis", uri, "audit", "tail", "--agent", agent.value()));
            }
            List<String> heard = new CopyOnWriteArrayList<>();
            bus.listen("events:cluster-cli:*", (channel, message) -> heard.add(channel));
            CliRun publish = CliRun.execute(
                    "--redis", uri, "publish", "events:cluster-cli:done", "--type", "done", "--payload", "{}");
            Map<String, JsonNode> api = dashboardApi(uri, agents);
            CliRun replay = CliRun.execute(
                    "--redis", uri, "audit", "replay", "--conversation", conversation, "--into", "sandbox");

            List<CliRun> runs =
                    new ArrayList<>(List.of(stats, statsJson, live, able, tail, swarmList, replay, publish));
            runs.addAll(perAgent);
            runs.addAll(perSwarm);
            for (CliRun run : runs) {
                assertThat(run.exitCode()).as(run.err()).isZero();
                assertThat(run.out() + run.err()).doesNotContain("MOVED", "ASK ", "CROSSSLOT", "TRYAGAIN");
            }
            for (AgentId agent : agents) {
                String id = agent.value();
                assertThat(stats.out().lines().filter(line -> line.startsWith(id + " ")))
                        .as("stats row of %s", id)
                        .singleElement()
                        .asString()
                        .matches(id + " +ok +yes +\\d+ +0 +- +0 +- +1 +0 +1 +" + MESSAGES_PER_AGENT + " +"
                                + (MESSAGES_PER_AGENT - 1) + " .*");
                JsonNode row = agentNamed(MAPPER.readTree(statsJson.out()).get("agents"), id);
                assertThat(row.at("/counters/sent").asInt()).isEqualTo(MESSAGES_PER_AGENT);
                assertThat(live.out()).contains(id + " clerk ");
                assertThat(able.out()).contains(id + " clerk ");
                assertThat(tail.out()
                                .lines()
                                .filter(line -> line.contains(" sent ") && line.contains("-> " + id + " ")))
                        .hasSize(MESSAGES_PER_AGENT);
                JsonNode apiRow = agentNamed(api.get("/api/stats").get("agents"), id);
                assertThat(apiRow.get("dead_letters").asInt()).isEqualTo(1);
                assertThat(apiRow.get("live").asBoolean()).isTrue();
                assertThat(StreamSupport.stream(
                                        api.get("/api/tail").get("entries").spliterator(), false)
                                .map(entry -> entry.path("to_agent").asText()
                                        + entry.path("from_agent").asText()))
                        .anyMatch(names -> names.contains(id));
                assertThat(api.get("/api/dlq/" + id).get("count").asInt()).isEqualTo(1);
                assertThat(api.get("/metrics").asText()).contains("inbox_dead_letters{agent=\"" + id + "\"} 1.0");
            }
            assertThat(statsJson.out()).doesNotContain("\"agent_errors\":[{");
            for (int i = 0; i < swarms.size(); i++) {
                assertThat(swarmList.out()).contains(swarms.get(i) + " active coordinator=lead version=1");
                assertThat(perSwarm.get(i).out()).contains("checkpoint planned version=1");
            }
            for (int i = 0; i < agents.size(); i++) {
                String id = agents.get(i).value();
                assertThat(perAgent.get(3 * i).out()).contains(id);
                assertThat(perAgent.get(3 * i + 1).out()).contains("refused");
                assertThat(perAgent.get(3 * i + 2).out()).contains("-> " + id + " ");
            }
            // Whichever node ran the PUBLISH, the cluster forwarded it: its reply of 0 is no loss there.
            await().atMost(WAIT).until(() -> heard.contains("events:cluster-cli:done"));
            assertThat(publish.err()).doesNotContain("nobody listened");
            assertThat(replay.out()).contains("replayed=" + agents.size() * MESSAGES_PER_AGENT);
        }
    }

    /**
     * Cards with a capability, a running instance each, {@link #MESSAGES_PER_AGENT} messages to each agent
     * in one conversation (the last one dead-lettered), a decision each, and swarms with a live coordinator;
     * returns once all of it is settled and audited.
     */
    private static void traffic(AgentBus bus, List<AgentId> agents, List<String> swarms, String conversation) {
        for (AgentId agent : agents) {
            bus.registry().publish(AgentCard.of(agent, "clerk", CAPABILITY));
            bus.subscribe(agent, delivery -> {
                if (delivery.envelope().payload().contains("poison")) {
                    delivery.deadLetter("refused");
                }
            });
        }
        for (AgentId agent : agents) {
            for (int n = 1; n <= MESSAGES_PER_AGENT; n++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("dispatcher")
                                .to(agent)
                                .type("task")
                                .payload(Map.of("n", n, "kind", n == MESSAGES_PER_AGENT ? "poison" : "fine"))
                                .conversationId(conversation)
                                .build());
            }
            bus.audit()
                    .decision(agent, "accepted", Map.of())
                    .toCompletableFuture()
                    .join();
        }
        for (String swarm : swarms) {
            bus.swarms().write(swarm, 0, "{\"phase\":\"plan\"}");
            bus.swarms().checkpoint(swarm, "planned");
            bus.swarms().heartbeat(swarm, "lead", Duration.ofMinutes(5));
        }
        await().atMost(WAIT)
                .until(() -> agents.stream()
                                .allMatch(agent -> bus.sync().inbox(agent).pending() == 0
                                        && bus.deadLetters(agent).count() == 1)
                        && bus.audit()
                                        .tail(AuditQuery.all().conversation(conversation), 1000)
                                        .size()
                                == 2 * MESSAGES_PER_AGENT * agents.size());
    }

    /**
     * Runs {@code agentbus server} in a JVM of its own on {@code uri} and reads {@code /api/stats},
     * {@code /api/tail}, {@code /api/dlq/AGENT} of each agent and {@code /metrics} (as a JSON string).
     */
    private static Map<String, JsonNode> dashboardApi(String uri, List<AgentId> agents) throws Exception {
        Path err = Files.createTempFile("agentbus-cluster-server", ".err");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        AgentBusCommand.class.getName(),
                        "--redis",
                        uri,
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
            HttpClient http = HttpClient.newHttpClient();
            Map<String, JsonNode> answers = new HashMap<>();
            List<String> paths = new ArrayList<>(List.of("/api/stats", "/api/tail", "/metrics"));
            agents.forEach(agent -> paths.add("/api/dlq/" + agent.value()));
            for (String path : paths) {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(URI.create(base + path))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode())
                        .as(path + ": " + response.body())
                        .isEqualTo(200);
                answers.put(
                        path,
                        path.equals("/metrics")
                                ? MAPPER.getNodeFactory().textNode(response.body())
                                : MAPPER.readTree(response.body()));
            }
            assertThat(answers.get("/api/stats").get("sample_error").isNull())
                    .as("sample_error %s", answers.get("/api/stats").get("sample_error"))
                    .isTrue();
            process.destroy(); // SIGTERM
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(err)).doesNotContain("Exception", "MOVED", "CROSSSLOT");
            return answers;
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }

    /** {@code perMaster} fresh names whose hash tag {@code {name}} is served by each master. */
    private static List<String> onEveryMaster(
            RedisClusterNodes cluster, int perMaster, java.util.function.Supplier<Object> fresh) {
        Map<LocalRedis, Integer> counts = new HashMap<>();
        List<String> names = new ArrayList<>();
        while (names.size() < perMaster * cluster.masters().size()) {
            String name = fresh.get().toString();
            LocalRedis master = cluster.masterOf("{" + name + "}");
            if (counts.merge(master, 1, Integer::sum) <= perMaster) {
                names.add(name);
            }
        }
        Set<String> masters = new TreeSet<>();
        names.forEach(name -> masters.add(cluster.masterOf("{" + name + "}").toString()));
        assertThat(masters).hasSize(cluster.masters().size());
        return names;
    }

    private static JsonNode agentNamed(JsonNode agents, String id) {
        for (JsonNode agent : agents) {
            if (agent.get("agent").asText().equals(id)) {
                return agent;
            }
        }
        throw new AssertionError("no agent " + id + " in " + agents);
    }
}
