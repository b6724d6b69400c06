package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test vectors of protocol/vectors/entries.json, the verdicts every reader of the wire format must
 * give: each entry is written raw into an inbox, as a foreign writer would, and a real consumer must
 * hand it to its handler with the expected normalised fields, or dead-letter it with the expected
 * reason and field.
 */
@ExtendWith(RedisServerExtension.class)
class VectorsIT {

    private static final Path VECTORS = Path.of("protocol", "vectors", "entries.json");

    @Test
    void javaReaderGivesEveryVectorItsVerdict(LocalRedis redis, RawRedis raw) throws Exception {
        JsonNode vectors = new ObjectMapper().readTree(vectorsFile().toFile());
        List<JsonNode> cases = new ArrayList<>();
        vectors.get("cases").forEach(cases::add);
        AgentId agent = freshAgent("vectors");
        byte[] inbox = ("agent:{" + agent.value() + "}:inbox").getBytes(StandardCharsets.UTF_8);
        long accepted = cases.stream().filter(c -> isAccepted(c.get("expect"))).count();

        Map<String, JsonNode> caseByEntry = new LinkedHashMap<>();
        Map<String, Delivery> handled = new LinkedHashMap<>();
        Map<String, Map<String, String>> deadLettered = new LinkedHashMap<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(agent, handler);
            for (JsonNode vector : cases) {
                caseByEntry.put(raw.bytes().xadd(inbox, entryArguments(vector.get("fields"))), vector);
            }

            handler.await((int) accepted, Duration.ofSeconds(20))
                    .forEach(delivery -> handled.put(delivery.entryId(), delivery));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> bus.sync().inbox(agent).pending() == 0
                            && deadLetters(raw, agent).size() == cases.size() - accepted);
            deadLetters(raw, agent).forEach(entry -> deadLettered.put(entry.get("dlq_source_id"), entry));
        }

        List<String> disagreements = new ArrayList<>();
        caseByEntry.forEach((entryId, vector) -> {
            String verdict = verdict(handled.get(entryId), deadLettered.get(entryId));
            String expected = expectedVerdict(vector.get("expect"));
            if (!verdict.equals(expected)) {
                disagreements.add(vector.get("name").asText() + ": expected " + expected + ", Java gave " + verdict);
            }
        });
        System.out.printf(
                "RESULT scenario=vectors cases=%d java_agree=%d%n", cases.size(), cases.size() - disagreements.size());
        assertThat(disagreements).isEmpty();
    }

    /** The vectors file, found from the module's directory (where Maven runs tests) or the repository root. */
    private static Path vectorsFile() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(VECTORS))) {
                return dir.resolve(VECTORS);
            }
        }
        throw new IOException(VECTORS + " not found above " + Path.of("").toAbsolutePath());
    }

    /** The XADD arguments of a vector's fields, names and values alternating: a name may repeat. */
    private static Object[] entryArguments(JsonNode fields) {
        List<byte[]> arguments = new ArrayList<>();
        fields.forEach(pair -> {
            arguments.add(pair.get(0).asText().getBytes(StandardCharsets.UTF_8));
            arguments.add(value(pair.get(1)).getBytes(StandardCharsets.ISO_8859_1));
        });
        return arguments.toArray();
    }

    /**
     * A value of the vectors file as a string of bytes (one char per byte, ISO-8859-1): plain text is
     * UTF-8, {@code {"hex": ...}} raw bytes, {@code {"repeat": s, "times": n, "prefix": p, "suffix": q}}
     * p + s*n + q.
     */
    private static String value(JsonNode value) {
        String text;
        if (value.isTextual()) {
            text = value.asText();
        } else if (value.has("hex")) {
            return new String(HexFormat.of().parseHex(value.get("hex").asText()), StandardCharsets.ISO_8859_1);
        } else {
            text = value.path("prefix").asText()
                    + value.get("repeat").asText().repeat(value.get("times").asInt())
                    + value.path("suffix").asText();
        }
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static boolean isAccepted(JsonNode expect) {
        return expect.get("verdict").asText().equals("accepted");
    }

    private static String expectedVerdict(JsonNode expect) {
        if (isAccepted(expect)) {
            Map<String, String> envelope = new TreeMap<>();
            expect.get("envelope")
                    .fields()
                    .forEachRemaining(field -> envelope.put(
                            field.getKey(),
                            new String(
                                    value(field.getValue()).getBytes(StandardCharsets.ISO_8859_1),
                                    StandardCharsets.UTF_8)));
            return "accepted " + abbreviated(envelope);
        }
        return "dead_lettered " + expect.get("reason").asText() + "/"
                + expect.get("field").asText();
    }

    private static String verdict(Delivery delivery, Map<String, String> deadLetter) {
        if (delivery != null && deadLetter != null) {
            return "both handled and dead-lettered";
        }
        if (delivery != null) {
            return "accepted " + abbreviated(wireFields(delivery.envelope()));
        }
        if (deadLetter != null) {
            return "dead_lettered " + deadLetter.get("dlq_reason") + "/" + deadLetter.get("dlq_field");
        }
        return "neither handled nor dead-lettered";
    }

    /** The envelope's fields as the Java writer puts them on the wire: the vectors' normalised form. */
    private static Map<String, String> wireFields(Envelope envelope) {
        Map<String, String> fields = new TreeMap<>(envelope.extensions());
        fields.put("v", Integer.toString(envelope.v()));
        fields.put("message_id", envelope.messageId().value());
        fields.put("from_agent", envelope.fromAgent().value());
        fields.put("to_agent", envelope.toAgent().value());
        fields.put("message_type", envelope.messageType());
        fields.put("payload", envelope.payload());
        fields.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(envelope.timestamp()));
        fields.put("priority", Integer.toString(envelope.priority()));
        envelope.replyTo().ifPresent(agent -> fields.put("reply_to", agent.value()));
        envelope.correlationId().ifPresent(id -> fields.put("correlation_id", id));
        envelope.conversationId().ifPresent(id -> fields.put("conversation_id", id));
        envelope.expiresAt().ifPresent(at -> fields.put("expires_at", DateTimeFormatter.ISO_INSTANT.format(at)));
        return fields;
    }

    /** The fields as text for a failure message, a megabyte payload shown by its length and hash. */
    private static String abbreviated(Map<String, String> fields) {
        Map<String, String> shown = new TreeMap<>();
        fields.forEach((name, text) -> shown.put(
                name, text.length() <= 200 ? text : text.length() + " chars #" + Integer.toHexString(text.hashCode())));
        return shown.toString();
    }

    private static List<Map<String, String>> deadLetters(RawRedis raw, AgentId agent) {
        List<Map<String, String>> entries = new ArrayList<>();
        byte[] dlq = ("agent:{" + agent.value() + "}:dlq").getBytes(StandardCharsets.UTF_8);
        for (StreamMessage<byte[], byte[]> entry : raw.bytes().xrange(dlq, Range.create("-", "+"))) {
            Map<String, String> text = new LinkedHashMap<>();
            entry.getBody()
                    .forEach((name, value) -> text.put(
                            new String(name, StandardCharsets.UTF_8),
                            value.length > 200
                                    ? "(" + value.length + " bytes)"
                                    : new String(value, StandardCharsets.UTF_8)));
            entries.add(text);
        }
        return entries;
    }
}
