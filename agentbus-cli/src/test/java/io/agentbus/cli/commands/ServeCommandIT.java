package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code agentbus serve}: a responder that requesters written in any language can be tested against,
 * answering with the request's payload ({@code --echo}) or a fixed one ({@code --reply}).
 */
@ExtendWith(RedisServerExtension.class)
class ServeCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void echoAnswersTheCliRequesterWithItsOwnPayload(LocalRedis redis) throws Exception {
        String responder = freshName("echo");
        CliRun.Background serve =
                CliRun.inBackground("serve", responder, "--echo", "--count", "1", "--json", "--redis", redis.uri());
        awaitServing(serve);

        CliRun request = CliRun.execute(
                "request",
                "--to",
                responder,
                "--type",
                "review_request",
                "--payload",
                "{\"draft\":\"Launch day!\"}",
                "--json",
                "--redis",
                redis.uri());

        assertThat(request.exitCode()).as(request.err()).isEqualTo(ExitCodes.OK);
        JsonNode reply = JSON.readTree(request.out());
        assertThat(reply.get("message_type").asText()).isEqualTo("review_request.reply");
        assertThat(reply.get("payload")).isEqualTo(JSON.readTree("{\"draft\":\"Launch day!\"}"));
        CliRun served = serve.run().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(served.exitCode()).as(served.err()).isEqualTo(ExitCodes.OK);
        JsonNode printed = JSON.readTree(served.out());
        assertThat(printed.get("message_type").asText()).isEqualTo("review_request");
        assertThat(printed.get("correlation_id")).isNull();
    }

    @Test
    void replyAnswersEveryRequestWithTheFixedPayloadUntilTheCount(LocalRedis redis) throws Exception {
        String responder = freshName("approver");
        CliRun.Background serve = CliRun.inBackground(
                "serve", responder, "--reply", "{\"verdict\":\"approved\"}", "--count", "2", "--redis", redis.uri());
        awaitServing(serve);

        String requesterId = freshName("requester");
        try (AgentBus requester = AgentBus.connect(redis.uri())) {
            // Replies come to the requester's inbox: it runs an instance of its own.
            requester.subscribe(AgentId.of(requesterId), delivery -> {});
            for (int i = 0; i < 2; i++) {
                Envelope reply = requester
                        .request(
                                Envelope.builder()
                                        .from(requesterId)
                                        .to(responder)
                                        .type("approval")
                                        .payload("{\"n\":" + i + "}")
                                        .build(),
                                WAIT)
                        .toCompletableFuture()
                        .get();
                assertThat(JSON.readTree(reply.payload())).isEqualTo(JSON.readTree("{\"verdict\":\"approved\"}"));
                assertThat(reply.messageType()).isEqualTo("approval.reply");
            }
        }
        CliRun served = serve.run().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(served.exitCode()).as(served.err()).isEqualTo(ExitCodes.OK);
        assertThat(served.out().lines()).hasSize(2);
    }

    @Test
    void aReplyThatIsNotAJsonObjectIsRefusedBeforeConnecting() {
        // Port 1: nothing listens there, so a connection attempt would fail as unavailable, not invalid input.
        CliRun serve = CliRun.execute("serve", "approver", "--reply", "[1,2]", "--redis", "redis://127.0.0.1:1");

        assertThat(serve.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(serve.err()).contains("JSON object");
    }

    @Test
    void echoAndReplyTogetherOrNeitherIsAUsageError(LocalRedis redis) {
        CliRun both = CliRun.execute("serve", "approver", "--echo", "--reply", "{}", "--redis", redis.uri());
        CliRun neither = CliRun.execute("serve", "approver", "--redis", redis.uri());

        assertThat(both.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(both.err()).contains("mutually exclusive");
        assertThat(neither.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(neither.err()).contains("--echo").contains("--reply");
    }

    @Test
    void noRequestBeforeTheTimeoutIsIncomplete(LocalRedis redis) {
        CliRun serve = CliRun.execute("serve", freshName("idle"), "--echo", "--timeout", "1", "--redis", redis.uri());

        assertThat(serve.exitCode()).isEqualTo(ExitCodes.INCOMPLETE);
        assertThat(serve.out()).isEmpty();
    }

    /** Until the responder says it answers (a request sent before would find no responders). */
    private static void awaitServing(CliRun.Background serve) {
        await().atMost(WAIT)
                .until(() ->
                        serve.errSoFar().contains("serving ") || serve.run().isDone());
        assertThat(serve.run().isDone()).as(serve.errSoFar()).isFalse();
    }
}
