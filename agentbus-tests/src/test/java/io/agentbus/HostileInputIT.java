package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bad input gets a clear error before Redis; garbage already in Redis goes to dead letters, and nothing stops. */
@ExtendWith(RedisServerExtension.class)
class HostileInputIT {

    private static RawRedis raw;

    @BeforeAll
    static void connectRaw(RawRedis connection) {
        raw = connection;
    }

    @Test
    void oversizedPayloadIsRejectedBeforeAnyRedisCall(LocalRedis redis) {
        AgentId target = freshAgent("target");
        BusOptions small = BusOptions.builder()
                .send(SendOptions.builder().maxPayloadBytes(1024).build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), small)) {
            Envelope big = Envelope.builder()
                    .from("cmo")
                    .to(target)
                    .type("task")
                    .payload("{\"text\":\"" + "é".repeat(600) + "\"}")
                    .build();

            assertThatThrownBy(() -> bus.send(big))
                    .isInstanceOf(InvalidEnvelopeException.class)
                    .hasMessageContaining("payload")
                    .hasMessageContaining("at most 1024 bytes")
                    .hasMessageContaining("but is 1211 bytes");
            assertThat(bus.sync().inbox(target).length()).isZero();
        }
    }

    @Test
    void peekShowsEntriesThatAreNoEnvelopeAsStored(LocalRedis redis) {
        AgentId agent = freshAgent("garbage-peeked");
        String inbox = KeySchema.inbox(agent, Priority.NORMAL.value());
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("from_agent", "evil}{:");
        broken.put("payload", "{not json");
        raw.commands().xadd(inbox, broken);
        raw.bytes()
                .xadd(
                        inbox.getBytes(StandardCharsets.UTF_8),
                        Map.of("payload".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff, (byte) 0xfe}));

        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<StoredEntry> entries = bus.sync().peek(agent, InboxEnd.OLDEST, 10);

            assertThat(entries).hasSize(2).allMatch(StoredEntry::unread);
            assertThat(entries.get(0).fields()).isEqualTo(broken);
            assertThat(entries.get(1).fields()).containsOnlyKeys("payload");
            assertThat(bus.sync().pendingEntries(agent, 10)).isEmpty();
        }
    }

    @Test
    void badIdsAndTypesAreRejectedNamingTheFieldAndTheRule() {
        assertThatThrownBy(() -> Envelope.builder()
                        .from("cmo")
                        .to("bad{id")
                        .type("t")
                        .payload("{}")
                        .build())
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageStartingWith("to_agent must be 1-64 characters")
                .hasMessageContaining("'bad{id'");
        assertThatThrownBy(() -> Envelope.builder()
                        .from("a".repeat(65))
                        .to("b")
                        .type("t")
                        .payload("{}")
                        .build())
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageStartingWith("from_agent");
        assertThatThrownBy(() -> Envelope.builder()
                        .from("a")
                        .to("b")
                        .type("has space")
                        .payload("{}")
                        .build())
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageStartingWith("message_type");
        assertThatThrownBy(() -> Envelope.builder()
                        .from("a")
                        .to("b")
                        .type("t")
                        .payload("[1,2]")
                        .build())
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageStartingWith("payload must be a JSON object");
    }

    @Test
    void garbageEntriesGoToDeadLettersWithReasonsAndGoodMessagesStillArrive(LocalRedis redis) throws Exception {
        AgentId victim = freshAgent("victim");
        String inbox = "agent:{" + victim.value() + "}:inbox";
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(victim, handler);

            xadd(inbox, valid(victim, "before"));
            xadd(inbox, with(valid(victim, "bad-json"), "payload", "{not json".getBytes(StandardCharsets.UTF_8)));
            xadd(inbox, without(valid(victim, "ignored"), "message_id"));
            xadd(inbox, with(valid(victim, "bad-utf8"), "payload", new byte[] {
                '{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
            }));
            xadd(inbox, with(valid(victim, "future"), "v", "2".getBytes(StandardCharsets.UTF_8)));
            xadd(inbox, with(valid(victim, "bad-sender"), "from_agent", "evil}{:".getBytes(StandardCharsets.UTF_8)));
            xadd(inbox, Map.of("just", "garbage".getBytes(StandardCharsets.UTF_8)));
            // A field given twice: a reader that keeps one value (a map) would guess which one is meant.
            raw.commands()
                    .eval(
                            "return redis.call('XADD', KEYS[1], '*', 'v', '1', 'message_id', 'twice', 'from_agent',"
                                    + " 'cmo', 'to_agent', ARGV[1], 'message_type', 'task', 'payload', '{}',"
                                    + " 'timestamp', '2025-11-03T10:30:00Z', 'priority', '5', 'priority', '9')",
                            ScriptOutputType.VALUE,
                            new String[] {inbox},
                            victim.value());
            xadd(inbox, valid(victim, "after"));

            List<Delivery> delivered = handler.await(2, Duration.ofSeconds(10));
            assertThat(delivered)
                    .extracting(d -> d.envelope().messageId().value())
                    .containsExactly("before", "after");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(victim).pending() == 0);
        }

        List<Map<String, String>> deadLetters = raw
                .bytes()
                .xrange(("agent:{" + victim.value() + "}:dlq").getBytes(StandardCharsets.UTF_8), Range.create("-", "+"))
                .stream()
                .map(HostileInputIT::lenientText)
                // Handlers decode on several threads, so dead letters may be stored in any order;
                // the id of the inbox entry each came from gives the order in which they were written.
                .sorted(Comparator.comparing((Map<String, String> entry) -> entryIdPart(entry, 0))
                        .thenComparing(entry -> entryIdPart(entry, 1)))
                .collect(Collectors.toList());
        assertThat(deadLetters)
                .extracting(entry -> entry.get("dlq_reason") + "/" + entry.get("dlq_field"))
                .containsExactly(
                        "invalid_field/payload",
                        "missing_field/message_id",
                        "invalid_encoding/payload",
                        "unsupported_version/v",
                        "invalid_field/from_agent",
                        "missing_field/message_id",
                        "invalid_field/priority");
        assertThat(deadLetters.get(0))
                .containsEntry("message_id", "bad-json")
                .containsKey("dlq_detail")
                .containsKey("dlq_source_id")
                .containsKey("dlq_consumer")
                .containsEntry("dlq_attempts", "1");
        assertThat(deadLetters.get(3).get("dlq_detail")).contains("version 2");
        assertThat(deadLetters.get(6))
                .containsEntry("message_id", "twice")
                .hasEntrySatisfying("dlq_detail", detail -> assertThat(detail).contains("ambiguous"));
    }

    private static void xadd(String key, Map<String, byte[]> fields) {
        Map<byte[], byte[]> body = new LinkedHashMap<>();
        fields.forEach((name, value) -> body.put(name.getBytes(StandardCharsets.UTF_8), value));
        raw.bytes().xadd(key.getBytes(StandardCharsets.UTF_8), body);
    }

    private static Map<String, byte[]> valid(AgentId to, String messageId) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("v", bytes("1"));
        fields.put("message_id", bytes(messageId));
        fields.put("from_agent", bytes("cmo"));
        fields.put("to_agent", bytes(to.value()));
        fields.put("message_type", bytes("task"));
        fields.put("payload", bytes("{}"));
        fields.put("timestamp", bytes("2025-11-03T10:30:00Z"));
        fields.put("priority", bytes("5"));
        return fields;
    }

    private static Map<String, byte[]> with(Map<String, byte[]> fields, String name, byte[] value) {
        fields.put(name, value);
        return fields;
    }

    private static Map<String, byte[]> without(Map<String, byte[]> fields, String name) {
        fields.remove(name);
        return fields;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static long entryIdPart(Map<String, String> deadLetter, int part) {
        return Long.parseLong(deadLetter.get("dlq_source_id").split("-")[part]);
    }

    private static Map<String, String> lenientText(StreamMessage<byte[], byte[]> entry) {
        Map<String, String> text = new LinkedHashMap<>();
        entry.getBody()
                .forEach((name, value) ->
                        text.put(new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8)));
        return text;
    }
}
