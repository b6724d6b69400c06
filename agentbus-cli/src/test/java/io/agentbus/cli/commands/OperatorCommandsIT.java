package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Priority;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What issue #19 asks of the commands an operator runs during an incident: no silent private Redis, an
 * unknown agent is an error that creates nothing, a peek that takes nothing, JSON everywhere, one
 * duration grammar, and a request that leaves no agent behind.
 */
@ExtendWith(RedisServerExtension.class)
class OperatorCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RawRedis raw;

    @BeforeAll
    static void connectRaw(RawRedis connection) {
        raw = connection;
    }

    @ParameterizedTest(name = "agentbus {0}")
    @ValueSource(
            strings = {
                "stats",
                "inbox copywriter",
                "inbox peek copywriter",
                "dlq list copywriter",
                "dlq show copywriter 1-0",
                "dlq redrive copywriter --all",
                "dlq purge copywriter",
                "audit tail",
                "audit replay --conversation c1 --into replayed",
                "agents",
                "swarm list",
                "swarm show launch",
                "swarm recover launch",
                "server --port 0"
            })
    void operatorCommandsRefuseToRunWithoutAGivenRedis(String command) {
        CliRun run = CliRun.execute(command.split(" "));

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.REDIS_NOT_GIVEN);
        assertThat(run.err().lines().toList())
                .singleElement()
                .asString()
                .startsWith("agentbus: " + command.split(" --")[0].split(" copywriter| launch")[0])
                .contains("give --redis URI or set AGENTBUS_REDIS_URL", "--embedded");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void anOperatorCommandRunsOnAPrivateRedisWithEmbedded() {
        CliRun run = CliRun.execute("--embedded", "agents", "--json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("agentbus: embedded Redis");
    }

    @Test
    void embeddedWithRedisIsAUsageError(LocalRedis redis) {
        CliRun run = CliRun.execute("--embedded", "--redis", redis.uri(), "stats");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).startsWith("agentbus: --embedded starts a private Redis, but --redis names one");
    }

    @ParameterizedTest(name = "agentbus {0} no_such_agent")
    @ValueSource(strings = {"inbox", "inbox peek", "dlq list"})
    void aReadOnlyCommandOnAnUnknownAgentExitsNotFoundAndCreatesNoKey(String command, LocalRedis redis) {
        String agent = freshName("no-such-agent");
        Set<String> keysBefore = keys();
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.addAll(List.of(agent, "--redis", redis.uri()));

        CliRun run = CliRun.execute(args.toArray(String[]::new));

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run.err())
                .isEqualToIgnoringNewLines(
                        "agentbus: no agent " + agent + " on " + redis.uri()
                                + ": never sent to or subscribed, and nothing of it in Redis (agentbus stats lists the agents)");
        assertThat(run.out()).isEmpty();
        assertThat(keys()).isEqualTo(keysBefore);
    }

    @Test
    void inboxOfAnAgentThatWasSentToIsShownWithHumanDurations(LocalRedis redis) {
        AgentId agent = AgentId.of(freshName("copywriter"));
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            send(bus, agent, Priority.NORMAL, 1);
        }

        CliRun run = CliRun.execute("inbox", agent.value(), "--redis", redis.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("inbox of " + agent, "retained        1", "oldest unread   ");
        assertThat(run.out()).doesNotContain(" ms ago", "PT");
    }

    @Test
    void receiveForAnAgentThatDoesNotExistWaitsWithoutCreatingIt(LocalRedis redis) {
        String agent = freshName("receiver-typo");
        Set<String> keysBefore = keys();

        CliRun run = CliRun.execute("receive", agent, "--timeout", "300ms", "--redis", redis.uri());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INCOMPLETE);
        assertThat(run.err()).contains("no agent " + agent + " yet");
        assertThat(keys()).isEqualTo(keysBefore);
        assertThat(raw.commands().sismember(KeySchema.KNOWN_AGENTS, agent)).isFalse();
    }

    @Test
    void receiveForAnAgentThatDoesNotExistYetGetsTheFirstMessageSentToIt(LocalRedis redis) throws Exception {
        AgentId agent = AgentId.of(freshName("new-agent"));
        CliRun.Background receive =
                CliRun.inBackground("receive", agent.value(), "--timeout", "10s", "--json", "--redis", redis.uri());
        await().atMost(Duration.ofSeconds(10)).until(() -> receive.errSoFar().contains("yet; waiting"));

        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            send(bus, agent, Priority.NORMAL, 1);
        }

        CliRun run = receive.run().get();
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(JSON.readTree(run.out()).get("to_agent").asText()).isEqualTo(agent.value());
    }

    @Test
    void peekShowsMessagesOfEveryBandWithoutTakingThem(LocalRedis redis) throws Exception {
        AgentId agent = AgentId.of(freshName("peeked"));
        List<String> sent = new ArrayList<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            sent.add(send(bus, agent, Priority.LOW, 1));
            sent.add(send(bus, agent, Priority.NORMAL, 2));
            sent.add(send(bus, agent, Priority.HIGH, 3));
        }
        Set<String> keysBefore = keys();

        CliRun oldest =
                CliRun.execute("inbox", "peek", agent.value(), "-n", "2", "--oldest", "--json", "--redis", redis.uri());
        CliRun newest = CliRun.execute("inbox", "peek", agent.value(), "--redis", redis.uri());

        assertThat(oldest.exitCode()).as(oldest.err()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : oldest.out().lines().toList()) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).extracting(line -> line.get("message_id").asText()).containsExactly(sent.get(0), sent.get(1));
        assertThat(lines).extracting(line -> line.get("band").asText()).containsExactly("low", "normal");
        assertThat(lines.get(0).get("payload").get("n").asInt()).isEqualTo(1);
        assertThat(newest.exitCode()).as(newest.err()).isZero();
        assertThat(newest.out().lines().toList())
                .hasSize(3)
                .first()
                .asString()
                .matches("\\d+-\\d+ high \\S+ cmo -> " + agent + " task_assignment p7 " + sent.get(2) + " \\{\"n\":3}");
        assertThat(keys()).as("peek created or removed keys").isEqualTo(keysBefore);
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            InboxStats inbox = bus.sync().inbox(agent);
            assertThat(inbox.groupExists()).isFalse();
            assertThat(inbox.pending()).isZero();
        }
        CliRun receive = CliRun.execute("receive", agent.value(), "--count", "3", "--json", "--redis", redis.uri());
        assertThat(receive.exitCode()).as(receive.err()).isZero();
        assertThat(receive.out()
                        .lines()
                        .map(line -> readTree(line).get("message_id").asText()))
                .containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void sendPublishAndDeadLetterCommandsPrintJson(LocalRedis redis) throws Exception {
        String agent = freshName("json-agent");
        CliRun send = CliRun.execute(
                "send",
                "--from",
                "cmo",
                "--to",
                agent,
                "--type",
                "t",
                "--payload",
                "{}",
                "--json",
                "--redis",
                redis.uri());
        CliRun publish = CliRun.execute(
                "publish", "events:x", "--type", "t", "--payload", "{}", "--json", "--redis", redis.uri());
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(AgentId.of(agent), delivery -> delivery.deadLetter("no budget"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.deadLetters(AgentId.of(agent)).count() == 1);
        }
        String messageId = JSON.readTree(send.out()).get("message_id").asText();
        CliRun show = CliRun.execute("dlq", "show", agent, messageId, "--json", "--redis", redis.uri());
        CliRun redrive = CliRun.execute("dlq", "redrive", agent, messageId, "nope", "--json", "--redis", redis.uri());
        CliRun purge = CliRun.execute("dlq", "purge", agent, "--json", "--redis", redis.uri());

        assertThat(send.exitCode()).as(send.err()).isZero();
        assertThat(JSON.readTree(send.out()).get("duplicate").asBoolean()).isFalse();
        assertThat(JSON.readTree(send.out()).get("entry_id").asText()).matches("\\d+-\\d+");
        assertThat(publish.exitCode()).as(publish.err()).isZero();
        assertThat(JSON.readTree(publish.out()).get("receivers").asLong()).isZero();
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(JSON.readTree(show.out()).get("reason").asText()).isEqualTo("rejected");
        assertThat(redrive.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        JsonNode redriven = JSON.readTree(redrive.out());
        assertThat(redriven.get("redriven").asLong()).isEqualTo(1);
        assertThat(redriven.get("missing").get(0).asText()).isEqualTo("nope");
        assertThat(purge.exitCode()).as(purge.err()).isZero();
        assertThat(JSON.readTree(purge.out()).get("purged").asLong()).isZero();
    }

    @Test
    void swarmListAndShowPrintJson(LocalRedis redis) throws Exception {
        String swarm = freshName("launch");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.swarms().write(swarm, 0, "{\"phase\":\"plan\"}");
            bus.swarms().checkpoint(swarm, "planned");
        }

        CliRun list = CliRun.execute("swarm", "list", "--json", "--redis", redis.uri());
        CliRun show = CliRun.execute("swarm", "show", swarm, "--json", "--redis", redis.uri());

        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().lines().map(OperatorCommandsIT::readTree))
                .anySatisfy(line -> assertThat(line.get("swarm").asText()).isEqualTo(swarm));
        assertThat(show.exitCode()).as(show.err()).isZero();
        JsonNode shown = JSON.readTree(show.out());
        assertThat(shown.get("state").get("phase").asText()).isEqualTo("plan");
        assertThat(shown.get("last_checkpoint").get("label").asText()).isEqualTo("planned");
        assertThat(shown.get("checkpoints").get(0).get("state").get("phase").asText())
                .isEqualTo("plan");
    }

    @ParameterizedTest(name = "receive --timeout {0}")
    @ValueSource(strings = {"1", "300ms", "PT0.3S"})
    void receiveTimeoutTakesDurationsAndBareSeconds(String timeout, LocalRedis redis) {
        AgentId agent = AgentId.of(freshName("idle"));
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(agent, delivery -> {}).close(); // exists, with nothing to receive
        }
        long start = System.nanoTime();

        CliRun run = CliRun.execute("receive", agent.value(), "--timeout", timeout, "--redis", redis.uri());

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.INCOMPLETE);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }

    @ParameterizedTest(name = "audit tail --since {0}")
    @ValueSource(strings = {"15m", "PT1H", "2020-01-01T00:00:00Z"})
    void auditSinceTakesATimeOrADurationAgo(String since, LocalRedis redis) {
        String agent = freshName("audited");
        CliRun.execute(
                "send", "--from", "cmo", "--to", agent, "--type", "t", "--payload", "{}", "--redis", redis.uri());

        CliRun run =
                CliRun.execute("audit", "tail", "--agent", agent, "--since", since, "--json", "--redis", redis.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(agent);
    }

    @Test
    void auditSinceRejectsWhatIsNeitherATimeNorADuration(LocalRedis redis) {
        CliRun run = CliRun.execute("audit", "tail", "--since", "yesterday", "--redis", redis.uri());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err())
                .startsWith("agentbus: --since must be an ISO-8601 UTC time")
                .contains("'yesterday'");
    }

    @Test
    void requestLeavesNoRequesterAgentBehind(LocalRedis redis) {
        AgentId responder = AgentId.of(freshName("reviewer"));
        CliRun run;
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(responder, request -> "{\"verdict\":\"approved\"}");
            run = CliRun.execute(
                    "request",
                    "--to",
                    responder.value(),
                    "--type",
                    "review",
                    "--payload",
                    "{}",
                    "--redis",
                    redis.uri());
        }

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(raw.commands().smembers(KeySchema.KNOWN_AGENTS)).noneMatch(id -> id.startsWith("cli-"));
        // What stays is what docs/PROTOCOL.md says stays of a temporary agent: the dedup marker of the
        // reply, expiring with the dedup window (and the audit trail, which is not the agent's).
        assertThat(keys()).filteredOn(key -> key.startsWith("agent:{cli-")).allSatisfy(key -> {
            assertThat(key).contains(":dedup:");
            assertThat(raw.commands().pttl(key)).isPositive();
        });
    }

    private static String send(AgentBus bus, AgentId to, Priority priority, int n) {
        Envelope envelope = Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task_assignment")
                .payload("{\"n\":" + n + "}")
                .priority(priority)
                .build();
        bus.sync().send(envelope);
        return envelope.messageId().value();
    }

    private static Set<String> keys() {
        return new TreeSet<>(raw.commands().keys("*"));
    }

    private static JsonNode readTree(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
