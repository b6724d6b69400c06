package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@ExtendWith(RedisServerExtension.class)
class SendReceiveIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void receivePrintsTheSentMessageAsJsonAndAcknowledgesIt(LocalRedis redis) throws Exception {
        String agent = freshName("agent");
        CliRun send = CliRun.execute(
                "send",
                "--from",
                "cmo",
                "--to",
                agent,
                "--type",
                "task_assignment",
                "--payload",
                "{\"brief\":\"launch post\",\"words\":800}",
                "--priority",
                "high",
                "--redis",
                redis.uri());

        CliRun receive = CliRun.execute("receive", agent, "--count", "1", "--json", "--redis", redis.uri());

        assertThat(send.exitCode()).isZero();
        String messageId = send.out().strip();
        assertThat(messageId).isNotEmpty().doesNotContain("\n");
        assertThat(receive.exitCode()).isZero();
        JsonNode line = JSON.readTree(receive.out());
        assertThat(line.get("message_id").asText()).isEqualTo(messageId);
        assertThat(line.get("payload")).isEqualTo(JSON.readTree("{\"brief\":\"launch post\",\"words\":800}"));
        assertThat(line.get("from_agent").asText()).isEqualTo("cmo");
        assertThat(line.get("to_agent").asText()).isEqualTo(agent);
        assertThat(line.get("message_type").asText()).isEqualTo("task_assignment");
        assertThat(line.get("priority").asInt()).isEqualTo(7);
        assertThat(line.get("v").asInt()).isEqualTo(1);
        assertThat(line.get("attempt").asInt()).isEqualTo(1);
        assertThat(line.has("timestamp")).isTrue();
        assertThat(line.has("reply_to")).isFalse();
        assertThat(inbox(redis, agent).pending()).isZero();
    }

    @Test
    void receiveJsonCarriesReplyCorrelationAndConversationIdsWhenPresent(LocalRedis redis) throws Exception {
        String agent = freshName("agent");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("review_request")
                            .payload("{}")
                            .replyTo("cmo")
                            .correlationId("req-1")
                            .conversationId("spring-launch")
                            .build());
        }

        CliRun receive = CliRun.execute("receive", agent, "--json", "--redis", redis.uri());

        JsonNode line = JSON.readTree(receive.out());
        assertThat(line.get("reply_to").asText()).isEqualTo("cmo");
        assertThat(line.get("correlation_id").asText()).isEqualTo("req-1");
        assertThat(line.get("conversation_id").asText()).isEqualTo("spring-launch");
    }

    @Test
    void receivePrintsOneHumanLinePerMessageAndStopsAtTheCount(LocalRedis redis) {
        String agent = freshName("agent");
        String first = send(redis, agent, "{\"n\":1}");
        String second = send(redis, agent, "{\"n\":2}");
        String third = send(redis, agent, "{\"n\":3}");

        CliRun receive = CliRun.execute("receive", agent, "--count", "2", "--redis", redis.uri());

        assertThat(receive.exitCode()).isZero();
        assertThat(receive.out().lines()).hasSize(2);
        assertThat(receive.out().lines().toList().get(0))
                .matches("\\S+Z cmo -> " + agent + " status_update p5 " + first + " \\{\"n\":1}");
        assertThat(receive.out()).contains(second).doesNotContain(third);
        // The third was never read, so it is neither pending nor lost: the next receive gets it.
        assertThat(inbox(redis, agent).pending()).isZero();
        assertThat(CliRun.execute("receive", agent, "--redis", redis.uri()).out())
                .contains(third);
    }

    @Test
    void receiveExitsWith3WhenTheTimeoutPassesWithNoMessage(LocalRedis redis) {
        CliRun receive = CliRun.execute("receive", freshName("agent"), "--timeout", "1", "--redis", redis.uri());

        assertThat(receive.exitCode()).isEqualTo(3);
        assertThat(receive.out()).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "--to       | bad{id    | to_agent",
                "--from     | bad id    | from_agent",
                "--payload  | [1,2]     | payload",
                "--priority | extreme   | priority",
                "--type     | ''        | message_type"
            })
    void sendRejectsInvalidInputWithExitCode2NamingTheField(
            String option, String value, String field, LocalRedis redis) {
        CliRun send = CliRun.execute(withOption(
                option,
                value,
                "send",
                "--from",
                "cmo",
                "--to",
                "copywriter",
                "--type",
                "task_assignment",
                "--payload",
                "{}",
                "--redis",
                redis.uri()));

        assertThat(send.exitCode()).isEqualTo(2);
        assertThat(send.err())
                .startsWith("agentbus: " + field + " ")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(send.out()).isEmpty();
    }

    @Test
    void sendToAClosedPortFailsFastWithExitCode1() {
        long start = System.nanoTime();

        CliRun send = CliRun.execute(
                "send",
                "--from",
                "cmo",
                "--to",
                "copywriter",
                "--type",
                "task_assignment",
                "--payload",
                "{}",
                "--redis",
                "redis://127.0.0.1:1");

        // A refused connection must not wait out the connect timeout (5 s).
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(send.exitCode()).isEqualTo(ExitCodes.CONNECTION_REFUSED);
        assertThat(send.err())
                .startsWith("agentbus: cannot connect to redis://127.0.0.1:1: connection refused by 127.0.0.1:1")
                .doesNotContain("\tat ");
        assertThat(send.out()).isEmpty();
    }

    @Test
    void inboxJsonReportsItsFiguresAsNumbers(LocalRedis redis) throws Exception {
        String agent = freshName("agent");
        send(redis, agent, "{}");
        send(redis, agent, "{}");
        CliRun.execute("receive", agent, "--redis", redis.uri());

        CliRun inbox = CliRun.execute("inbox", agent, "--json", "--redis", redis.uri());

        assertThat(inbox.exitCode()).isZero();
        JsonNode stats = JSON.readTree(inbox.out());
        assertThat(stats.get("agent").asText()).isEqualTo(agent);
        assertThat(stats.get("length").isIntegralNumber()).isTrue();
        assertThat(stats.get("length").asLong()).isEqualTo(2);
        assertThat(stats.get("pending").isIntegralNumber()).isTrue();
        assertThat(stats.get("pending").asLong()).isZero();
        assertThat(stats.get("group_exists").asBoolean()).isTrue();
        assertThat(stats.get("oldest_pending_age_ms").isNull()).isTrue();
        assertThat(stats.get("consumers").isArray()).isTrue();
    }

    @Test
    void inboxTextShowsRetainedUnreadAndPending(LocalRedis redis) {
        String agent = freshName("agent");
        send(redis, agent, "{}");

        CliRun inbox = CliRun.execute("inbox", agent, "--redis", redis.uri());

        assertThat(inbox.exitCode()).isZero();
        assertThat(inbox.out())
                .contains("inbox of " + agent)
                .containsPattern("status\\s+backlog \\(no running instance\\)\\n")
                .containsPattern("retained\\s+1\\n")
                .containsPattern("unread\\s+1\\n")
                .containsPattern("pending\\s+0\\n")
                .containsPattern("group exists\\s+no\\n");
    }

    @Test
    void sendTakesThePayloadFromAFileOrStdinAndAGivenMessageIdMakesARetrySafe(LocalRedis redis, @TempDir Path dir)
            throws Exception {
        String agent = freshName("agent");
        // Larger than one command-line argument may be on Linux (128 KiB).
        Path file = dir.resolve("brief.json");
        Files.writeString(file, "{\"brief\":\"" + "x".repeat(200_000) + "\"}");

        CliRun fromFile = sendWith(redis, agent, "--payload-file", file.toString(), "--message-id", "brief-1");
        CliRun retried = sendWith(redis, agent, "--payload-file", file.toString(), "--message-id", "brief-1");
        InputStream stdin = System.in;
        CliRun fromStdin;
        try {
            System.setIn(new ByteArrayInputStream("{\"from\":\"stdin\"}".getBytes(StandardCharsets.UTF_8)));
            fromStdin = sendWith(redis, agent, "--payload", "-");
        } finally {
            System.setIn(stdin);
        }
        CliRun both = sendWith(redis, agent, "--payload", "{}", "--payload-file", file.toString());

        assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
        assertThat(fromFile.out().strip()).isEqualTo("brief-1");
        assertThat(retried.exitCode()).isZero();
        assertThat(retried.out().strip()).isEqualTo("brief-1");
        assertThat(retried.err()).contains("brief-1 was already sent within the dedup window");
        assertThat(fromStdin.exitCode()).as(fromStdin.err()).isZero();
        assertThat(both.exitCode()).isEqualTo(2);
        CliRun received = CliRun.execute("receive", agent, "--count", "2", "--json", "--redis", redis.uri());
        assertThat(received.out()).contains("x".repeat(200_000)).contains("stdin");
    }

    private static CliRun sendWith(LocalRedis redis, String agent, String... payloadOptions) {
        List<String> args = new ArrayList<>(
                List.of("send", "--from", "cmo", "--to", agent, "--type", "brief", "--redis", redis.uri()));
        args.addAll(List.of(payloadOptions));
        return CliRun.execute(args.toArray(String[]::new));
    }

    private static String send(LocalRedis redis, String agent, String payload) {
        CliRun send = CliRun.execute(
                "send",
                "--from",
                "cmo",
                "--to",
                agent,
                "--type",
                "status_update",
                "--payload",
                payload,
                "--redis",
                redis.uri());
        assertThat(send.exitCode()).as(send.err()).isZero();
        return send.out().strip();
    }

    private static InboxStats inbox(LocalRedis redis, String agent) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            return bus.sync().inbox(AgentId.of(agent));
        }
    }

    /** The arguments with {@code option} set to {@code value}, replaced if present, else added. */
    private static String[] withOption(String option, String value, String... args) {
        List<String> changed = new ArrayList<>(List.of(args));
        int at = changed.indexOf(option);
        if (at >= 0) {
            changed.set(at + 1, value);
        } else {
            changed.addAll(List.of(option, value));
        }
        return changed.toArray(String[]::new);
    }
}
