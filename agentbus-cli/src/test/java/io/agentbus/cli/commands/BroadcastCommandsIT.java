package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code agentbus publish}, {@code watch} and {@code request} against real listeners and responders. */
@ExtendWith(RedisServerExtension.class)
class BroadcastCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Pattern PUBLISHED = Pattern.compile("receivers=\\d+ sequence=1 message_id=(\\S+)\\R");

    @Test
    void watchPrintsWhatPublishSendsOnEveryChannelAsJsonAndStopsAtTheCount(LocalRedis redis) throws Exception {
        CliRun.Background watch =
                CliRun.inBackground("watch", "--count", "2", "--json", "--timeout", "20s", "--redis", redis.uri());
        awaitWatching(watch);

        CliRun task = CliRun.execute(
                "publish",
                "events:marketing:task_assigned",
                "--type",
                "task_assigned",
                "--payload",
                "{\"task\":\"launch post\"}",
                "--to",
                "copywriter",
                "--redis",
                redis.uri());
        CliRun created = CliRun.execute(
                "publish",
                "events:content:created",
                "--type",
                "content_created",
                "--payload",
                "{\"title\":\"Launch day\"}",
                "--from",
                "copywriter",
                "--redis",
                redis.uri());

        assertThat(task.exitCode()).as(task.err()).isZero();
        assertThat(task.out()).matches("receivers=1 sequence=1 message_id=\\S+\\R");
        assertThat(task.err()).doesNotContain("nobody listened");
        CliRun watched = watch.run().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        assertThat(watched.err()).contains("watching *");
        List<JsonNode> lines = jsonLines(watched.out());
        assertThat(lines).hasSize(2);
        JsonNode first = lines.get(0);
        assertThat(first.get("channel").asText()).isEqualTo("events:marketing:task_assigned");
        assertThat(first.get("message_id").asText()).isEqualTo(messageId(task));
        assertThat(first.get("from_agent").asText()).isEqualTo(PublishCommand.DEFAULT_FROM);
        assertThat(first.get("to_agent").asText()).isEqualTo("copywriter");
        assertThat(first.get("message_type").asText()).isEqualTo("task_assigned");
        assertThat(first.get("payload")).isEqualTo(JSON.readTree("{\"task\":\"launch post\"}"));
        assertThat(first.has("attempt")).isFalse();
        JsonNode second = lines.get(1);
        assertThat(second.get("channel").asText()).isEqualTo("events:content:created");
        assertThat(second.get("message_id").asText()).isEqualTo(messageId(created));
        assertThat(second.get("from_agent").asText()).isEqualTo("copywriter");
        assertThat(second.get("to_agent").asText()).isEqualTo(PublishCommand.DEFAULT_TO);
    }

    @Test
    void watchPrintsAMessageThatMatchesSeveralPatternsOnceAndNothingOutsideThem(LocalRedis redis) throws Exception {
        CliRun.Background watch = CliRun.inBackground(
                "watch", "events:*", "events:content:*", "--count", "2", "--timeout", "20s", "--redis", redis.uri());
        awaitWatching(watch);

        String both = messageId(publish(redis, "events:content:created"));
        CliRun elsewhere = publish(redis, "audit:login");
        String one = messageId(publish(redis, "events:campaign:launched"));

        assertThat(elsewhere.out()).startsWith("receivers=0 ");
        CliRun watched = watch.run().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        List<String> lines = watched.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\S+Z events:content:created cli -> all ping p5 " + both + " \\{}");
        assertThat(lines.get(1)).contains(" events:campaign:launched ").contains(one);
    }

    @Test
    void publishToAChannelNobodyWatchesPrintsReceivers0AndSaysSoOnStderr(LocalRedis redis) {
        CliRun publish = publish(redis, "events:nobody:listens");

        assertThat(publish.exitCode()).isZero();
        assertThat(publish.out()).matches("receivers=0 sequence=1 message_id=\\S+\\R");
        assertThat(publish.err()).contains("nobody listened on events:nobody:listens");
    }

    @Test
    void watchExitsWith3WhenTheTimeoutPassesBeforeTheCountAnd0WithoutACount(LocalRedis redis) {
        CliRun tooFew =
                CliRun.execute("watch", "events:quiet", "--count", "1", "--timeout", "300ms", "--redis", redis.uri());
        CliRun bounded = CliRun.execute("watch", "events:quiet", "--timeout", "300ms", "--redis", redis.uri());

        assertThat(tooFew.exitCode()).isEqualTo(3);
        assertThat(tooFew.out()).isEmpty();
        assertThat(bounded.exitCode()).as(bounded.err()).isZero();
    }

    @Test
    void publishRejectsAChannelWithASpaceAsInvalidInput(LocalRedis redis) {
        CliRun publish = CliRun.execute(
                "publish", "events marketing", "--type", "ping", "--payload", "{}", "--redis", redis.uri());

        assertThat(publish.exitCode()).isEqualTo(2);
        assertThat(publish.err()).startsWith("agentbus: channel must be").doesNotContain("\tat ");
        assertThat(publish.out()).isEmpty();
    }

    @Test
    void requestPrintsTheReplyOfAServedAgentAsJson(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId manager = freshAgent("content_manager");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(
                    manager,
                    request -> Map.of(
                            "verdict",
                            "approved",
                            "draft",
                            JSON.readTree(request.envelope().payload())
                                    .get("draft")
                                    .asText()));

            CliRun request = CliRun.execute(
                    "request",
                    "--to",
                    manager.value(),
                    "--type",
                    "review_request",
                    "--payload",
                    "{\"draft\":\"Launch day!\"}",
                    "--json",
                    "--redis",
                    redis.uri());

            assertThat(request.exitCode()).as(request.err()).isZero();
            JsonNode reply = JSON.readTree(request.out());
            assertThat(reply.get("message_type").asText()).isEqualTo("review_request.reply");
            assertThat(reply.get("from_agent").asText()).isEqualTo(manager.value());
            assertThat(reply.get("to_agent").asText()).matches("cli-[0-9a-f]{8}");
            assertThat(reply.get("correlation_id").asText()).isNotEmpty();
            assertThat(reply.get("payload"))
                    .isEqualTo(JSON.readTree("{\"verdict\":\"approved\",\"draft\":\"Launch day!\"}"));
            assertThat(reply.has("attempt")).isFalse();
            // The made-up requester is temporary: deleted on exit, never listed.
            String requester = reply.get("to_agent").asText();
            assertThat(raw.commands().keys("agent:{" + requester + "}:*")).allMatch(key -> key.contains("}:dedup:"));
            assertThat(raw.commands().sismember(KeySchema.KNOWN_AGENTS, requester))
                    .isFalse();
        }
    }

    @Test
    void requestFromAGivenAgentPrintsTheReplyAsOneHumanLine(LocalRedis redis) {
        AgentId manager = freshAgent("content_manager");
        String copywriter = freshAgent("copywriter").value();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(manager, request -> "{\"verdict\":\"changes_requested\"}");

            CliRun request = CliRun.execute(
                    "request",
                    "--from",
                    copywriter,
                    "--to",
                    manager.value(),
                    "--type",
                    "review_request",
                    "--payload",
                    "{}",
                    "--redis",
                    redis.uri());

            assertThat(request.exitCode()).as(request.err()).isZero();
            assertThat(request.out())
                    .matches("\\S+Z " + manager + " -> " + copywriter
                            + " review_request\\.reply p5 \\S+ \\{\"verdict\":\"changes_requested\"}\\R");
        }
    }

    @Test
    void requestFromAnAgentWithMessagesWaitingHandsThemBackForAnotherAttempt(LocalRedis redis) throws Exception {
        AgentId manager = freshAgent("content_manager");
        String copywriter = freshAgent("copywriter").value();
        String waiting = CliRun.execute(
                        "send",
                        "--from",
                        "cmo",
                        "--to",
                        copywriter,
                        "--type",
                        "task_assignment",
                        "--payload",
                        "{}",
                        "--redis",
                        redis.uri())
                .out()
                .strip();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(manager, request -> Map.of("verdict", "approved"));

            CliRun request = CliRun.execute(
                    "request",
                    "--from",
                    copywriter,
                    "--to",
                    manager.value(),
                    "--type",
                    "review_request",
                    "--payload",
                    "{}",
                    "--redis",
                    redis.uri());

            assertThat(request.exitCode()).as(request.err()).isZero();
            assertThat(request.err()).contains("handed back " + waiting + " (task_assignment from cmo)");
        }
        // Not handled, not lost: the agent's next instance gets it, on its second attempt.
        JsonNode redelivered = JSON.readTree(CliRun.execute("receive", copywriter, "--json", "--redis", redis.uri())
                .out());
        assertThat(redelivered.get("message_id").asText()).isEqualTo(waiting);
        assertThat(redelivered.get("attempt").asInt()).isEqualTo(2);
    }

    @Test
    void requestToAnAgentThatNeverListenedExitsWith4AtOnce(LocalRedis redis) {
        long start = System.nanoTime();

        CliRun request = CliRun.execute(
                "request",
                "--to",
                freshAgent("nobody").value(),
                "--type",
                "ping",
                "--payload",
                "{}",
                "--timeout",
                "30s",
                "--redis",
                redis.uri());

        assertThat(request.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(request.err()).contains("agentbus: no responders").doesNotContain("\tat ");
        assertThat(request.out()).isEmpty();
        // Far below the timeout: the bus knows at once that nobody would answer.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void requestToAServedAgentThatStaysSilentExitsWith3AfterTheTimeout(LocalRedis redis) {
        AgentId silent = freshAgent("silent");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(silent, request -> null);

            CliRun request = CliRun.execute(
                    "request",
                    "--to",
                    silent.value(),
                    "--type",
                    "ping",
                    "--payload",
                    "{}",
                    "--timeout",
                    "300ms",
                    "--redis",
                    redis.uri());

            assertThat(request.exitCode()).isEqualTo(ExitCodes.INCOMPLETE);
            assertThat(request.err()).contains("no reply from " + silent).contains("within PT0.3S");
            assertThat(request.out()).isEmpty();
        }
    }

    @Test
    void requestRejectsAZeroTimeoutAsInvalidInput(LocalRedis redis) {
        CliRun request = CliRun.execute(
                "request",
                "--to",
                "anyone",
                "--type",
                "ping",
                "--payload",
                "{}",
                "--timeout",
                "0s",
                "--redis",
                redis.uri());

        assertThat(request.exitCode()).isEqualTo(2);
        assertThat(request.err()).startsWith("agentbus: --timeout must be > 0");
    }

    private static CliRun publish(LocalRedis redis, String channel) {
        CliRun publish =
                CliRun.execute("publish", channel, "--type", "ping", "--payload", "{}", "--redis", redis.uri());
        assertThat(publish.exitCode()).as(publish.err()).isZero();
        return publish;
    }

    private static String messageId(CliRun publish) {
        Matcher receipt = PUBLISHED.matcher(publish.out());
        assertThat(receipt.matches()).as(publish.out()).isTrue();
        return receipt.group(1);
    }

    /** Until the watch has subscribed, which it says on stderr: a broadcast published before is gone. */
    private static void awaitWatching(CliRun.Background watch) {
        await().atMost(DEADLINE)
                .until(() ->
                        watch.errSoFar().contains("watching ") || watch.run().isDone());
        assertThat(watch.run()).isNotDone();
    }

    private static List<JsonNode> jsonLines(String out) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.lines().toList()) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }
}
