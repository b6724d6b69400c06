package io.agentbus.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class AuditCommandsIT {

    @Test
    void tailShowsAConversationsRecordsAndReplayReSendsItIntoASandbox(LocalRedis redis) {
        String conversation = "audit-cli-" + System.nanoTime();
        AgentId reviewer = AgentId.of("reviewer-" + System.nanoTime());
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(reviewer, delivery -> {});
            for (int draft = 1; draft <= 2; draft++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("copywriter")
                                .to(reviewer)
                                .type("review_request")
                                .payload(Map.of("draft", draft))
                                .conversationId(conversation)
                                .build());
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(reviewer).pending() == 0
                            && bus.audit()
                                            .tail(
                                                    io.agentbus.audit.AuditQuery.all()
                                                            .conversation(conversation),
                                                    10)
                                            .size()
                                    == 4);

            CliRun tail = CliRun.execute("--redis", redis.uri(), "audit", "tail", "--conversation", conversation);
            CliRun json = CliRun.execute(
                    "--redis", redis.uri(), "audit", "tail", "--conversation", conversation, "--json", "--limit", "1");
            CliRun replay = CliRun.execute(
                    "--redis", redis.uri(), "audit", "replay", "--conversation", conversation, "--into", "sandbox");

            assertThat(tail.exitCode()).isZero();
            assertThat(tail.out().lines())
                    .hasSize(4)
                    .allMatch(line -> line.contains("review_request copywriter -> " + reviewer.value()))
                    .filteredOn(line -> line.contains(" sent "))
                    .hasSize(2);
            assertThat(json.out().lines())
                    .singleElement()
                    .asString()
                    .contains("\"event\":\"acked\"")
                    .contains("\"conversation_id\":\"" + conversation + "\"");
            assertThat(replay.out().strip()).isEqualTo("replayed=2");
            assertThat(bus.sync()
                            .inbox(AgentId.of("sandbox." + reviewer.value()))
                            .length())
                    .isEqualTo(2);
        }
    }

    @Test
    void aBadSinceIsAClearUsageError(LocalRedis redis) {
        CliRun run = CliRun.execute("--redis", redis.uri(), "audit", "tail", "--since", "yesterday");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("--since must be an ISO-8601 UTC time");
    }
}
