package io.agentbus.interop;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.cli.AgentBusCommand;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Java, Python and Node on one Redis, in every ordered direction (java→python, python→node, …): each
 * scenario runs once per direction, the first language sending (or holding, or requesting) and the
 * second receiving (or reclaiming, or serving), each through its interop driver (interop-spec.md). A
 * scenario checks what the receiving side printed and what Redis holds afterwards (counters, pending
 * entries, dead letters), as PROTOCOL.md promises them.
 *
 * <p>Prints {@code RESULT scenario=interop-matrix languages=3 directions=6 scenarios=<per direction>
 * passed=<runs> failed=<runs>}, runs counted per direction and scenario. Needs Python with redis-py,
 * Node and the Node client's node_modules ({@link InteropTools}).
 */
@ExtendWith(RedisServerExtension.class)
class InteropMatrixIT {

    /** How long a driver command may take to do its part; a healthy one needs well under a second. */
    private static final Duration STEP = Duration.ofSeconds(10);
    /** The drivers' own --timeout-ms: shorter than {@link #STEP}, so a stuck one reports rather than is killed. */
    private static final String DRIVER_TIMEOUT_MS = "8000";

    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    private static LocalRedis redis;
    private static RawRedis raw;
    private static AgentBus observer;

    private record Scenario(String name, Body body) {}

    @FunctionalInterface
    private interface Body {
        void run(LanguagePeer first, LanguagePeer second) throws Exception;
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("priorities", InteropMatrixIT::higherBandsAreHandledFirstWithinOneRead),
            new Scenario("ack", InteropMatrixIT::handledMessagesAreAckedAndCounted),
            new Scenario("request-reply", InteropMatrixIT::requesterGetsTheResponderReply),
            new Scenario("dedup", InteropMatrixIT::oneMessageIdSentByBothLanguagesIsDeliveredOnce),
            new Scenario("crash-reclaim", InteropMatrixIT::messageOfAKilledInstanceIsReclaimedByTheOther),
            new Scenario("retry", InteropMatrixIT::failedAttemptIsRetried),
            new Scenario("dead-letter-redrive", InteropMatrixIT::deadLetterIsRedrivenToTheOtherLanguage),
            new Scenario("broadcast", InteropMatrixIT::listenerHearsTheBroadcast),
            new Scenario("durable-topic", InteropMatrixIT::subscriberGroupsGetTheTopicMessages),
            new Scenario("delayed", InteropMatrixIT::delayedMessageArrivesWhenDue),
            new Scenario("swarm-events", InteropMatrixIT::swarmListenerHearsTheEvent),
            new Scenario("messenger", InteropMatrixIT::receivingSwarmGetsTheMessage));

    @BeforeAll
    static void start(LocalRedis server, RawRedis connection) {
        InteropTools.requirePythonAndNode();
        redis = server;
        raw = connection;
        observer = AgentBus.connect(server.uri());
    }

    @AfterAll
    static void report() {
        if (observer != null) {
            observer.close();
        }
        int runs = PASSED.get() + FAILED.get();
        if (runs == 0) {
            return;
        }
        System.out.printf(
                "RESULT scenario=interop-matrix languages=3 directions=6 scenarios=%d passed=%d failed=%d%n",
                SCENARIOS.size(), PASSED.get(), FAILED.get());
        assertThat(FAILED.get())
                .as("failed scenario runs (see each test's failure)")
                .isZero();
    }

    @TestFactory
    Stream<DynamicTest> everyScenarioInEveryDirection() {
        List<LanguagePeer> peers =
                List.of(new JavaPeer(redis.uri()), InteropTools.python(redis.uri()), InteropTools.node(redis.uri()));
        List<DynamicTest> tests = new ArrayList<>();
        for (LanguagePeer first : peers) {
            for (LanguagePeer second : peers) {
                if (first == second) {
                    continue;
                }
                for (Scenario scenario : SCENARIOS) {
                    String name = first.language() + "→" + second.language() + " " + scenario.name();
                    tests.add(DynamicTest.dynamicTest(name, () -> counted(name, scenario, first, second)));
                }
            }
        }
        return tests.stream();
    }

    /**
     * Runs one scenario in one direction and counts it. Its outcome goes to stderr as {@code NOTE interop
     * <direction> <scenario> passed|failed <seconds>}, and a failure names them, since the build's report
     * numbers dynamic tests rather than naming them.
     */
    private static void counted(String name, Scenario scenario, LanguagePeer first, LanguagePeer second) {
        long start = System.nanoTime();
        try {
            scenario.body().run(first, second);
            PASSED.incrementAndGet();
            System.err.printf("NOTE interop %s passed %.1f s%n", name, (System.nanoTime() - start) / 1e9);
        } catch (Exception | AssertionError e) {
            FAILED.incrementAndGet();
            System.err.printf("NOTE interop %s failed %.1f s%n", name, (System.nanoTime() - start) / 1e9);
            throw new AssertionError(name + ": " + e.getMessage(), e);
        }
    }

    /** One read returns every band; the receiver handles high (7–9), then normal, then low (1–3), each in sent order. */
    private static void higherBandsAreHandledFirstWithinOneRead(LanguagePeer first, LanguagePeer second)
            throws Exception {
        String agent = freshName("prio");
        String sender = freshName("prio-sender");
        List<String> priorities = List.of("1", "low", "5", "high", "9", "urgent");
        for (int n = 0; n < priorities.size(); n++) {
            send(
                    first,
                    "--from",
                    sender,
                    "--to",
                    agent,
                    "--type",
                    "ranked",
                    "--payload",
                    "{\"n\":" + n + "}",
                    "--priority",
                    priorities.get(n));
        }

        List<JsonNode> deliveries = receive(second, agent, "--count", "6");

        assertThat(deliveries)
                .extracting(line -> line.get("payload").get("n").asInt())
                .as("handling order, by payload n")
                .containsExactly(3, 4, 5, 2, 0, 1);
        assertThat(deliveries).extracting(line -> line.get("priority").asInt()).containsExactly(7, 9, 8, 5, 1, 3);
        for (JsonNode line : deliveries) {
            assertThat(line.get("from_agent").asText()).isEqualTo(sender);
            assertThat(line.get("to_agent").asText()).isEqualTo(agent);
            assertThat(line.get("message_type").asText()).isEqualTo("ranked");
            assertThat(line.get("attempt").asInt()).isEqualTo(1);
            assertThat(line.get("entry_id").asText()).matches("\\d+-\\d+");
        }
    }

    private static void handledMessagesAreAckedAndCounted(LanguagePeer first, LanguagePeer second) throws Exception {
        String agent = freshName("acked");
        for (int n = 0; n < 3; n++) {
            send(first, "--to", agent, "--payload", "{\"n\":" + n + "}");
        }

        receive(second, agent, "--count", "3");

        assertThat(raw.commands().hget("agent:{" + agent + "}:counters", "acked"))
                .as("counters acked")
                .isEqualTo("3");
        InboxStats inbox = inbox(agent);
        assertThat(inbox.pending()).as("pending").isZero();
        assertThat(inbox.counters().sent()).as("counters sent").isEqualTo(3);
    }

    private static void requesterGetsTheResponderReply(LanguagePeer first, LanguagePeer second) throws Exception {
        String requester = freshName("requester");
        String responder = freshName("responder");
        String payload = "{\"question\":\"price?\",\"sku\":42}";
        try (DriverRun serving =
                second.start("serve", responder, "--echo", "--count", "1", "--timeout-ms", DRIVER_TIMEOUT_MS)) {
            serving.awaitReady(STEP);

            JsonNode reply = single(first.run(
                    STEP,
                    "request",
                    "--from",
                    requester,
                    "--to",
                    responder,
                    "--type",
                    "quote",
                    "--payload",
                    payload,
                    "--timeout-ms",
                    DRIVER_TIMEOUT_MS));

            JsonNode request = single(serving.awaitSuccess(STEP));
            assertThat(request.get("from_agent").asText()).isEqualTo(requester);
            assertThat(request.get("reply_to").asText()).isEqualTo(requester);
            assertThat(reply.get("correlation_id").asText())
                    .isEqualTo(request.get("message_id").asText());
            assertThat(reply.get("from_agent").asText()).isEqualTo(responder);
            assertThat(reply.get("to_agent").asText()).isEqualTo(requester);
            assertThat(reply.get("payload")).isEqualTo(request.get("payload"));
            assertThat(reply.get("payload").get("sku").asInt()).isEqualTo(42);
        }
    }

    private static void oneMessageIdSentByBothLanguagesIsDeliveredOnce(LanguagePeer first, LanguagePeer second)
            throws Exception {
        String agent = freshName("dedup");
        String messageId = freshName("interop-dedup");

        JsonNode original = send(first, "--to", agent, "--message-id", messageId, "--payload", "{\"by\":\"first\"}");
        JsonNode repeat = send(second, "--to", agent, "--message-id", messageId, "--payload", "{\"by\":\"second\"}");
        JsonNode delivery = single(receive(second, agent));

        assertThat(original.get("duplicate").asBoolean())
                .as("first send a duplicate")
                .isFalse();
        assertThat(repeat.get("duplicate").asBoolean())
                .as("second send a duplicate")
                .isTrue();
        assertThat(repeat.get("message_id").asText()).isEqualTo(messageId);
        assertThat(delivery.get("message_id").asText()).isEqualTo(messageId);
        assertThat(delivery.get("payload").get("by").asText()).isEqualTo("first");
        InboxStats inbox = inbox(agent);
        assertThat(inbox.length()).as("entries in the inbox").isEqualTo(1);
        assertThat(inbox.counters().deduplicated()).as("counters deduplicated").isEqualTo(1);
    }

    /** The first language's instance takes the message and is SIGKILLed; the second's reclaims it as attempt 2. */
    private static void messageOfAKilledInstanceIsReclaimedByTheOther(LanguagePeer first, LanguagePeer second)
            throws Exception {
        String agent = freshName("crash");
        String messageId = send(first, "--to", agent, "--payload", "{\"job\":\"render\"}")
                .get("message_id")
                .asText();
        try (DriverRun holding = first.start("receive", agent, "--hold", "--timeout-ms", "60000")) {
            List<DriverRun.Line> held = holding.awaitLines(2, STEP);
            assertThat(held.get(0).json().get("message_id").asText()).isEqualTo(messageId);
            assertThat(held.get(1).json().get("holding").asBoolean()).isTrue();
            holding.kill(STEP);
        }

        JsonNode reclaimed = single(receive(second, agent, "--visibility-ms", "500"));

        assertThat(reclaimed.get("message_id").asText()).isEqualTo(messageId);
        assertThat(reclaimed.get("attempt").asInt())
                .as("attempt after the reclaim")
                .isEqualTo(2);
        assertThat(reclaimed.get("payload").get("job").asText()).isEqualTo("render");
        InboxStats inbox = inbox(agent);
        assertThat(inbox.pending()).as("pending").isZero();
        assertThat(inbox.deadLetters()).as("dead letters").isZero();
    }

    private static void failedAttemptIsRetried(LanguagePeer first, LanguagePeer second) throws Exception {
        String agent = freshName("retried");
        String messageId = send(first, "--to", agent, "--payload", "{\"flaky\":true}")
                .get("message_id")
                .asText();

        List<JsonNode> deliveries = receive(second, agent, "--fail-times", "1", "--visibility-ms", "1000");

        assertThat(deliveries)
                .extracting(line -> line.get("message_id").asText())
                .containsExactly(messageId, messageId);
        assertThat(deliveries).extracting(line -> line.get("attempt").asInt()).containsExactly(1, 2);
        InboxStats inbox = inbox(agent);
        assertThat(inbox.counters().retried()).as("counters retried").isEqualTo(1);
        assertThat(inbox.counters().acked()).as("counters acked").isEqualTo(1);
        assertThat(inbox.pending()).as("pending").isZero();
        assertThat(inbox.deadLetters()).as("dead letters").isZero();
    }

    /**
     * The second language fails the message until it is dead-lettered; the first lists it; {@code agentbus
     * dlq redrive} (the Java CLI) moves it back; the first handles it as a new first attempt.
     */
    private static void deadLetterIsRedrivenToTheOtherLanguage(LanguagePeer first, LanguagePeer second)
            throws Exception {
        String agent = freshName("poisoned");
        String messageId = send(first, "--to", agent, "--payload", "{\"n\":7}")
                .get("message_id")
                .asText();

        List<JsonNode> failed =
                receive(second, agent, "--fail-always", "--max-attempts", "2", "--visibility-ms", "1000");
        JsonNode deadLetter = single(first.run(STEP, "dlq-list", agent).awaitSuccess(STEP));
        String redrive = runCli("dlq", "redrive", agent, "--all", "--redis", redis.uri());
        JsonNode redriven = single(receive(first, agent));

        assertThat(failed).extracting(line -> line.get("attempt").asInt()).containsExactly(1, 2);
        assertThat(deadLetter.get("message_id").asText()).isEqualTo(messageId);
        assertThat(deadLetter.get("dlq_reason").asText()).isEqualTo("max_attempts");
        assertThat(redrive).contains("redriven=1");
        assertThat(redriven.get("message_id").asText()).isEqualTo(messageId);
        assertThat(redriven.get("attempt").asInt())
                .as("attempt after the redrive")
                .isEqualTo(1);
        assertThat(redriven.get("payload").get("n").asInt()).isEqualTo(7);
        assertThat(first.run(STEP, "dlq-list", agent).awaitSuccess(STEP))
                .as("dead letters after")
                .isEmpty();
    }

    private static void listenerHearsTheBroadcast(LanguagePeer first, LanguagePeer second) throws Exception {
        String category = "events:" + freshName("interop");
        try (DriverRun listening = second.start("listen", category + ":*", "--timeout-ms", DRIVER_TIMEOUT_MS)) {
            listening.awaitReady(STEP);

            JsonNode published = single(first.run(
                            STEP,
                            "publish",
                            category + ":created",
                            "--type",
                            "content.created",
                            "--payload",
                            "{\"title\":\"Launch\"}")
                    .awaitSuccess(STEP));

            JsonNode heard = single(listening.awaitSuccess(STEP));
            assertThat(published.get("receivers").asLong()).as("receivers").isGreaterThanOrEqualTo(1);
            assertThat(heard.get("message_type").asText()).isEqualTo("content.created");
            assertThat(heard.get("payload").get("title").asText()).isEqualTo("Launch");
            assertThat(heard.get("attempt").asInt()).isEqualTo(1);
            assertThat(heard.get("entry_id").isNull()).as("entry_id is null").isTrue();
        }
    }

    /** A group created from the start gets what was published before it (once per message id); one created now, what follows. */
    private static void subscriberGroupsGetTheTopicMessages(LanguagePeer first, LanguagePeer second) throws Exception {
        String topic = freshName("topic");
        String messageId = freshName("interop-topic");
        JsonNode original = topicPublish(first, topic, "--message-id", messageId, "--payload", "{\"n\":1}");
        JsonNode repeat = topicPublish(first, topic, "--message-id", messageId, "--payload", "{\"n\":1}");
        topicPublish(first, topic, "--payload", "{\"n\":2}");

        List<JsonNode> replayed = second.run(
                        STEP,
                        "topic-subscribe",
                        topic,
                        "--group",
                        freshName("archive"),
                        "--from-start",
                        "--count",
                        "2",
                        "--timeout-ms",
                        DRIVER_TIMEOUT_MS)
                .awaitSuccess(STEP);
        List<JsonNode> live;
        try (DriverRun subscribed = second.start(
                "topic-subscribe", topic, "--group", freshName("live"), "--timeout-ms", DRIVER_TIMEOUT_MS)) {
            subscribed.awaitReady(STEP);
            topicPublish(first, topic, "--payload", "{\"n\":3}");
            live = subscribed.awaitSuccess(STEP);
        }

        assertThat(original.get("duplicate").asBoolean()).isFalse();
        assertThat(repeat.get("duplicate").asBoolean())
                .as("repeated publish a duplicate")
                .isTrue();
        assertThat(replayed)
                .extracting(line -> line.get("payload").get("n").asInt())
                .containsExactly(1, 2);
        assertThat(replayed.get(0).get("message_id").asText()).isEqualTo(messageId);
        assertThat(live)
                .extracting(line -> line.get("payload").get("n").asInt())
                .containsExactly(3);
        assertThat(raw.commands().xlen("topic:{" + topic + "}"))
                .as("entries in the topic")
                .isEqualTo(3);
    }

    private static void delayedMessageArrivesWhenDue(LanguagePeer first, LanguagePeer second) throws Exception {
        String agent = freshName("delayed");
        long delayMillis = 1_500;
        long before = System.nanoTime();
        JsonNode receipt =
                send(first, "--to", agent, "--payload", "{\"wake\":true}", "--delay-ms", Long.toString(delayMillis));

        try (DriverRun receiving = second.start("receive", agent, "--timeout-ms", DRIVER_TIMEOUT_MS)) {
            DriverRun.Line delivered = receiving.awaitLines(1, STEP).get(0);
            receiving.awaitSuccess(STEP);

            assertThat(receipt.get("entry_id").isNull())
                    .as("a delayed send's entry_id is null")
                    .isTrue();
            assertThat(delivered.json().get("message_id").asText())
                    .isEqualTo(receipt.get("message_id").asText());
            assertThat(TimeUnit.NANOSECONDS.toMillis(delivered.atNanos() - before))
                    .as("ms from the send to the delivery")
                    .isGreaterThanOrEqualTo(delayMillis);
        }
    }

    private static void swarmListenerHearsTheEvent(LanguagePeer first, LanguagePeer second) throws Exception {
        String swarm = freshName("swarm");
        try (DriverRun listening = second.start("swarm-listen", swarm, "agent.*", "--timeout-ms", DRIVER_TIMEOUT_MS)) {
            listening.awaitReady(STEP);

            first.run(
                            STEP,
                            "swarm-publish",
                            swarm,
                            "agent.joined",
                            "--data",
                            "{\"agent\":\"scout-7\"}",
                            "--priority",
                            "8")
                    .awaitSuccess(STEP);

            JsonNode heard = single(listening.awaitSuccess(STEP));
            assertThat(heard.get("message_type").asText()).isEqualTo("agent.joined");
            assertThat(heard.get("payload").get("agent").asText()).isEqualTo("scout-7");
            assertThat(heard.get("priority").asInt()).isEqualTo(8);
        }
    }

    private static void receivingSwarmGetsTheMessage(LanguagePeer first, LanguagePeer second) throws Exception {
        String from = freshName("research");
        String to = freshName("build");
        JsonNode sent = single(
                first.run(STEP, "messenger-send", from, to, "--type", "finding", "--message", "{\"result\":\"ok\"}")
                        .awaitSuccess(STEP));

        JsonNode received = single(second.run(STEP, "messenger-receive", to, "--timeout-ms", DRIVER_TIMEOUT_MS)
                .awaitSuccess(STEP));

        assertThat(received.get("message_id").asText())
                .isEqualTo(sent.get("message_id").asText());
        assertThat(received.get("from_agent").asText()).isEqualTo(from);
        assertThat(received.get("to_agent").asText()).isEqualTo(to);
        assertThat(received.get("message_type").asText()).isEqualTo("finding");
        assertThat(received.get("payload").get("result").asText()).isEqualTo("ok");
    }

    private static JsonNode send(LanguagePeer peer, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("send"));
        args.addAll(List.of(options));
        if (!args.contains("--from")) {
            args.addAll(List.of("--from", "interop-" + peer.language()));
        }
        return single(peer.run(STEP, args.toArray(String[]::new)).awaitSuccess(STEP));
    }

    private static JsonNode topicPublish(LanguagePeer peer, String topic, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("topic-publish", topic));
        args.addAll(List.of(options));
        return single(peer.run(STEP, args.toArray(String[]::new)).awaitSuccess(STEP));
    }

    /** Runs {@code receive AGENT options…} to the end; returns its delivery lines. */
    private static List<JsonNode> receive(LanguagePeer peer, String agent, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("receive", agent, "--timeout-ms", DRIVER_TIMEOUT_MS));
        args.addAll(List.of(options));
        return peer.run(STEP, args.toArray(String[]::new)).awaitSuccess(STEP);
    }

    private static JsonNode single(DriverRun run) throws Exception {
        return single(run.awaitSuccess(STEP));
    }

    private static JsonNode single(List<JsonNode> lines) {
        assertThat(lines).as("stdout lines").hasSize(1);
        return lines.get(0);
    }

    private static InboxStats inbox(String agent) {
        return observer.sync().inbox(AgentId.of(agent));
    }

    /** Runs the agentbus command in this JVM, as a user would in a shell; returns stdout and stderr. */
    private static String runCli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = AgentBusCommand.newCommandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        assertThat(exitCode)
                .as("agentbus " + String.join(" ", args) + ": " + out + err)
                .isZero();
        return out + "\n" + err;
    }
}
