package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import io.agentbus.cli.CliRun;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code agentbus dlq} commands on dead letters made through the public API, and on raw garbage. */
@ExtendWith(RedisServerExtension.class)
class DeadLetterCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String REJECT = "{\"brief\":\"launch post\",\"fate\":\"reject\"}";
    private static final String NON_RETRYABLE = "{\"brief\":\"banner\",\"fate\":\"non_retryable\"}";

    /** Dead-letters every message: rejects it, or throws NonRetryableException, as its payload says. */
    private static final MessageHandler FAILING = delivery -> {
        if (delivery.envelope().payload().contains("\"non_retryable\"")) {
            throw new NonRetryableException("the brief contradicts the brand guidelines");
        }
        delivery.deadLetter("no budget left for " + delivery.envelope().messageType());
    };

    private static RedisCommands<String, String> raw;

    @BeforeAll
    static void connectRaw(RawRedis connection) {
        raw = connection.commands();
    }

    @Test
    void listPrintsOneLinePerDeadLetterAndTheTotalOnStderr(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        List<String> ids = deadLettered(redis, agent, REJECT, NON_RETRYABLE);
        garbageDeadLettered(redis, agent, 3);

        CliRun list = CliRun.execute("dlq", "list", agent, "--redis", redis.uri());

        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0))
                .matches("\\d+-\\d+ \\S+Z rejected attempts=1 " + ids.get(0)
                        + " task_assignment no budget left for task_assignment");
        assertThat(lines.get(1))
                .matches("\\d+-\\d+ \\S+Z non_retryable attempts=1 " + ids.get(1)
                        + " task_assignment io\\.agentbus\\.NonRetryableException: the brief contradicts .*");
        assertThat(lines.get(2)).matches("\\d+-\\d+ \\S+Z missing_field attempts=1 - - message_id is required");
        assertThat(list.err()).isEqualTo("3 dead letters of " + agent + System.lineSeparator());
    }

    @Test
    void listJsonHasOneObjectPerLineWithTheOriginalFields(LocalRedis redis) throws Exception {
        String agent = freshName("dlq-agent");
        String messageId = deadLettered(redis, agent, REJECT).get(0);
        garbageDeadLettered(redis, agent, 2);

        CliRun list = CliRun.execute("dlq", "list", agent, "--json", "--redis", redis.uri());

        assertThat(list.exitCode()).as(list.err()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode rejected = JSON.readTree(lines.get(0));
        assertThat(rejected.get("id").asText()).matches("\\d+-\\d+");
        assertThat(rejected.get("agent").asText()).isEqualTo(agent);
        assertThat(rejected.get("reason").asText()).isEqualTo("rejected");
        assertThat(rejected.get("detail").asText()).isEqualTo("no budget left for task_assignment");
        assertThat(rejected.get("field").isNull()).isTrue();
        assertThat(rejected.get("attempts").asInt()).isEqualTo(1);
        assertThat(Instant.parse(rejected.get("first_failed_at").asText()))
                .isBeforeOrEqualTo(Instant.parse(rejected.get("last_failed_at").asText()));
        assertThat(rejected.get("consumer").asText()).isNotEmpty();
        assertThat(rejected.get("source_entry_id").asText()).matches("\\d+-\\d+");
        assertThat(rejected.get("message_id").asText()).isEqualTo(messageId);
        assertThat(rejected.get("message_type").asText()).isEqualTo("task_assignment");
        assertThat(rejected.get("from_agent").asText()).isEqualTo("content_manager");
        assertThat(rejected.get("fields").get("payload").asText()).isEqualTo(REJECT);
        assertThat(rejected.get("fields").get("to_agent").asText()).isEqualTo(agent);
        JsonNode garbage = JSON.readTree(lines.get(1));
        assertThat(garbage.get("reason").asText()).isEqualTo("missing_field");
        assertThat(garbage.get("field").asText()).isEqualTo("message_id");
        assertThat(garbage.get("message_id").isNull()).isTrue();
        assertThat(garbage.get("message_type").isNull()).isTrue();
        assertThat(garbage.get("from_agent").isNull()).isTrue();
        assertThat(garbage.get("fields")).isEqualTo(JSON.readTree("{\"just\":\"garbage\"}"));
    }

    @Test
    void listStopsAtTheLimitAndSaysHowManyThereAre(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        List<String> ids = deadLettered(redis, agent, REJECT, REJECT, REJECT);

        CliRun list = CliRun.execute("dlq", "list", agent, "--limit", "2", "--redis", redis.uri());

        assertThat(list.out().lines()).hasSize(2);
        assertThat(list.out()).contains(ids.get(0), ids.get(1)).doesNotContain(ids.get(2));
        assertThat(list.err()).startsWith("3 dead letters of " + agent + ", the oldest 2 listed");
    }

    @Test
    void listCountsOneDeadLetterInTheSingular(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        deadLettered(redis, agent, REJECT);

        CliRun list = CliRun.execute("dlq", "list", agent, "--redis", redis.uri());

        assertThat(list.err()).isEqualTo("1 dead letter of " + agent + System.lineSeparator());
    }

    @Test
    void listOfAnAgentWithoutDeadLettersPrintsNothingAndExitsZero(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        CliRun.execute(
                "send", "--from", "cmo", "--to", agent, "--type", "t", "--payload", "{}", "--redis", redis.uri());

        CliRun list = CliRun.execute("dlq", "list", agent, "--redis", redis.uri());

        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).isEmpty();
        assertThat(list.err()).startsWith("0 dead letters of ");
    }

    @Test
    void showFindsADeadLetterByEntryIdOrMessageIdAndPrettyPrintsThePayload(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        String messageId = deadLettered(redis, agent, NON_RETRYABLE).get(0);
        String entryId = CliRun.execute("dlq", "list", agent, "--redis", redis.uri())
                .out()
                .split(" ", 2)[0];

        CliRun byEntryId = CliRun.execute("dlq", "show", agent, entryId, "--redis", redis.uri());
        CliRun byMessageId = CliRun.execute("dlq", "show", agent, messageId, "--redis", redis.uri());

        assertThat(byEntryId.exitCode()).as(byEntryId.err()).isZero();
        assertThat(byEntryId.out()).isEqualTo(byMessageId.out());
        assertThat(byEntryId.out())
                .startsWith("dead letter " + entryId + " of " + agent + "\n")
                .containsPattern("(?m)^  reason\\s+non_retryable$")
                .containsPattern(
                        "(?m)^  detail\\s+io\\.agentbus\\.NonRetryableException: the brief contradicts the brand guidelines$")
                .containsPattern("(?m)^  attempts\\s+1$")
                .containsPattern("(?m)^  envelope\\s+valid$")
                .containsPattern("(?m)^  message_id\\s+" + messageId + "$")
                .containsPattern("(?m)^  from_agent\\s+content_manager$")
                .contains("  payload\n    {\n      \"brief\" : \"banner\",\n      \"fate\" : \"non_retryable\"\n    }");
    }

    @Test
    void showOfAnEntryThatIsNotAnEnvelopeSaysSoAndPrintsItsFields(LocalRedis redis) throws Exception {
        String agent = freshName("dlq-agent");
        garbageDeadLettered(redis, agent, 1);
        String entryId = JSON.readTree(CliRun.execute("dlq", "list", agent, "--json", "--redis", redis.uri())
                        .out())
                .get("id")
                .asText();

        CliRun show = CliRun.execute("dlq", "show", agent, entryId, "--redis", redis.uri());

        assertThat(show.exitCode()).isZero();
        assertThat(show.out())
                .containsPattern("(?m)^  reason\\s+missing_field$")
                .containsPattern("(?m)^  field\\s+message_id$")
                .containsPattern("(?m)^  envelope\\s+not a valid envelope$")
                .containsPattern("(?m)^  just\\s+garbage$");
    }

    @Test
    void showExitsWith4WhenThereIsNoSuchDeadLetter(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        deadLettered(redis, agent, REJECT);

        CliRun byMessageId = CliRun.execute("dlq", "show", agent, "no-such-message", "--redis", redis.uri());
        CliRun byEntryId = CliRun.execute("dlq", "show", agent, "1-0", "--redis", redis.uri());

        assertThat(byMessageId.exitCode()).isEqualTo(4);
        assertThat(byMessageId.out()).isEmpty();
        assertThat(byMessageId.err())
                .isEqualTo("agentbus: " + agent + " has no dead letter with entry id or message_id 'no-such-message'"
                        + System.lineSeparator());
        assertThat(byEntryId.exitCode()).isEqualTo(4);
    }

    @Test
    void redriveByEntryIdOrMessageIdPutsTheMessagesBackForTheirFirstAttempt(LocalRedis redis) throws Exception {
        String agent = freshName("dlq-agent");
        List<String> ids = deadLettered(redis, agent, REJECT, REJECT, REJECT);
        String firstEntryId = CliRun.execute("dlq", "list", agent, "--redis", redis.uri())
                .out()
                .split(" ", 2)[0];

        CliRun redrive = CliRun.execute("dlq", "redrive", agent, firstEntryId, ids.get(1), "--redis", redis.uri());

        assertThat(redrive.exitCode()).as(redrive.err()).isZero();
        assertThat(redrive.out()).isEqualTo("redriven=2" + System.lineSeparator());
        CliRun receive = CliRun.execute("receive", agent, "--count", "2", "--json", "--redis", redis.uri());
        List<JsonNode> received = new ArrayList<>();
        for (String line : receive.out().lines().toList()) {
            received.add(JSON.readTree(line));
        }
        assertThat(received)
                .extracting(line -> line.get("message_id").asText())
                .containsExactly(ids.get(0), ids.get(1));
        assertThat(received).extracting(line -> line.get("attempt").asInt()).containsExactly(1, 1);
        assertThat(CliRun.execute("dlq", "list", agent, "--redis", redis.uri()).out())
                .doesNotContain(ids.get(0), ids.get(1))
                .contains(ids.get(2));
    }

    @Test
    void redriveOfAnUnknownIdRedrivesTheOthersAndExitsWith4(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        String messageId = deadLettered(redis, agent, REJECT).get(0);

        CliRun redrive = CliRun.execute("dlq", "redrive", agent, "no-such-message", messageId, "--redis", redis.uri());

        assertThat(redrive.exitCode()).isEqualTo(4);
        assertThat(redrive.out()).isEqualTo("redriven=1" + System.lineSeparator());
        assertThat(redrive.err()).contains("has no dead letter with entry id or message_id no-such-message");
    }

    @Test
    void redriveAllHandsEveryDeadLetterToTheRunningSubscriberOnceMore(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        int messages = 450; // more than one redrive batch of the bus
        AtomicBoolean fixed = new AtomicBoolean();
        Queue<Integer> attemptsAfterFix = new ConcurrentLinkedQueue<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId id = AgentId.of(agent);
            bus.subscribe(id, delivery -> {
                if (!fixed.get()) {
                    delivery.deadLetter("the copy service was down");
                    return;
                }
                attemptsAfterFix.add(delivery.attempt());
            });
            IntStream.range(0, messages).forEach(n -> bus.send(envelope(agent, "{\"n\":" + n + "}")));
            await().atMost(DEADLINE).until(() -> bus.deadLetters(id).count() == messages);
            fixed.set(true);

            CliRun redrive = CliRun.execute("dlq", "redrive", agent, "--all", "--redis", redis.uri());

            assertThat(redrive.exitCode()).as(redrive.err()).isZero();
            long redriven = Long.parseLong(redrive.out().strip().substring("redriven=".length()));
            await().atMost(DEADLINE)
                    .until(() -> attemptsAfterFix.size() >= redriven
                            && bus.sync().inbox(id).pending() == 0);
            CliRun after = CliRun.execute("dlq", "list", agent, "--json", "--redis", redis.uri());
            long dlqAfter = after.out().lines().count();
            System.out.printf(
                    "RESULT scenario=dlq-redrive redriven=%d handled=%d dlq_after=%d%n",
                    redriven, attemptsAfterFix.size(), dlqAfter);
            assertThat(redriven).isEqualTo(messages);
            assertThat((long) attemptsAfterFix.size()).isEqualTo(redriven);
            assertThat(attemptsAfterFix).containsOnly(1);
            assertThat(dlqAfter).isZero();
            assertThat(after.err()).startsWith("0 dead letters of " + agent);
            assertThat(redrive.err()).contains("redriven " + messages + "/" + messages);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"neither", "both"})
    void redriveNeedsEitherIdsOrAllAsAUsageError(String which, LocalRedis redis) {
        String agent = freshName("dlq-agent");
        List<String> args = new ArrayList<>(List.of("dlq", "redrive", agent, "--redis", redis.uri()));
        if (which.equals("both")) {
            args.addAll(List.of("1-0", "--all"));
        }

        CliRun redrive = CliRun.execute(args.toArray(String[]::new));

        assertThat(redrive.exitCode()).isEqualTo(2);
        assertThat(redrive.err())
                .startsWith(
                        which.equals("both")
                                ? "Give the IDs to redrive or --all, not both"
                                : "Give the IDs to redrive, or --all")
                .contains("Usage: agentbus dlq redrive");
        assertThat(redrive.out()).isEmpty();
    }

    @Test
    void purgeDeletesEveryDeadLetter(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        deadLettered(redis, agent, REJECT, NON_RETRYABLE);
        garbageDeadLettered(redis, agent, 3);

        CliRun purge = CliRun.execute("dlq", "purge", agent, "--redis", redis.uri());

        assertThat(purge.exitCode()).isZero();
        assertThat(purge.out()).isEqualTo("purged=3" + System.lineSeparator());
        assertThat(CliRun.execute("dlq", "list", agent, "--redis", redis.uri()).err())
                .startsWith("0 dead letters");
    }

    @Test
    void purgeOlderThanDeletesOnlyTheOldDeadLetters(LocalRedis redis) {
        String agent = freshName("dlq-agent");
        // A dead letter from 1970: its entry id is when it was dead-lettered (docs/PROTOCOL.md).
        Map<String, String> old = new LinkedHashMap<>();
        old.put("just", "ancient garbage");
        old.put("dlq_reason", "missing_field");
        old.put("dlq_field", "message_id");
        old.put("dlq_failed_at", "1000");
        raw.xadd("agent:{" + agent + "}:dlq", new XAddArgs().id("1000-0"), old);
        List<String> recent = deadLettered(redis, agent, REJECT);

        CliRun weekOld = CliRun.execute("dlq", "purge", agent, "--older-than", "7d", "--redis", redis.uri());
        CliRun minuteOld = CliRun.execute("dlq", "purge", agent, "--older-than", "PT1M", "--redis", redis.uri());

        assertThat(weekOld.exitCode()).as(weekOld.err()).isZero();
        assertThat(weekOld.out()).isEqualTo("purged=1" + System.lineSeparator());
        assertThat(minuteOld.out()).isEqualTo("purged=0" + System.lineSeparator());
        CliRun left = CliRun.execute("dlq", "list", agent, "--redis", redis.uri());
        assertThat(left.out().lines()).hasSize(1).first().asString().contains(recent.get(0));
    }

    @ParameterizedTest(name = "--older-than {0}")
    @ValueSource(strings = {"7 days", "15", "PT-5M", "PT", "3w"})
    void purgeRejectsADurationItCannotReadAndDeletesNothing(String duration, LocalRedis redis) {
        String agent = freshName("dlq-agent");
        deadLettered(redis, agent, REJECT);

        CliRun purge = CliRun.execute("dlq", "purge", agent, "--older-than", duration, "--redis", redis.uri());

        assertThat(purge.exitCode()).isEqualTo(2);
        assertThat(purge.err()).startsWith("agentbus: Invalid value for option '--older-than': '" + duration + "' is ");
        assertThat(purge.out()).isEmpty();
        assertThat(CliRun.execute("dlq", "list", agent, "--redis", redis.uri())
                        .out()
                        .lines())
                .hasSize(1);
    }

    /** Sends each payload to {@code agent}, whose handler dead-letters it; returns their message ids. */
    private static List<String> deadLettered(LocalRedis redis, String agent, String... payloads) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId id = AgentId.of(agent);
            long before = bus.deadLetters(id).count();
            bus.subscribe(id, FAILING);
            List<String> ids = new ArrayList<>();
            for (String payload : payloads) {
                ids.add(bus.sync().send(envelope(agent, payload)).messageId().value());
            }
            await().atMost(DEADLINE).until(() -> bus.deadLetters(id).count() == before + payloads.length);
            return ids;
        }
    }

    /**
     * XADDs an entry that is not an envelope to {@code agent}'s inbox, and lets an instance of the
     * agent move it to dead letters: then there are {@code expectedTotal} dead letters.
     */
    private static void garbageDeadLettered(LocalRedis redis, String agent, long expectedTotal) {
        raw.xadd("agent:{" + agent + "}:inbox", Map.of("just", "garbage"));
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId id = AgentId.of(agent);
            bus.subscribe(id, delivery -> {});
            await().atMost(DEADLINE).until(() -> bus.deadLetters(id).count() == expectedTotal);
        }
    }

    private static Envelope envelope(String agent, String payload) {
        return Envelope.builder()
                .from("content_manager")
                .to(agent)
                .type("task_assignment")
                .payload(payload)
                .build();
    }
}
