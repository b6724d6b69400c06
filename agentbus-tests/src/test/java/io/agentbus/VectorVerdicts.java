package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
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

/**
 * The test vectors of protocol/vectors/entries.json and the verdicts readers give them, each as one
 * comparable line of text: {@code accepted {field=value, ...}} with the normalised fields, or
 * {@code dead_lettered <reason>/<field>}. {@link VectorsIT} holds the Java reader to the file; the interop
 * tests hold the Python and Node readers to both.
 */
public final class VectorVerdicts {

    private static final Path VECTORS = Path.of("protocol", "vectors", "entries.json");

    private VectorVerdicts() {}

    /** The cases of the vectors file, in file order. */
    public static List<JsonNode> cases() throws IOException {
        List<JsonNode> cases = new ArrayList<>();
        new ObjectMapper().readTree(file().toFile()).get("cases").forEach(cases::add);
        return cases;
    }

    /**
     * The Java reader's verdict on every case, by case name: each entry is written raw into an inbox, as
     * a foreign writer would, and a real consumer hands it to its handler or dead-letters it.
     */
    public static Map<String, String> javaVerdicts(LocalRedis redis, RawRedis raw)
            throws IOException, InterruptedException {
        List<JsonNode> cases = cases();
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
        Map<String, String> verdicts = new LinkedHashMap<>();
        caseByEntry.forEach((entryId, vector) ->
                verdicts.put(vector.get("name").asText(), verdict(handled.get(entryId), deadLettered.get(entryId))));
        return verdicts;
    }

    /** The verdict the file expects for a case. */
    public static String expectedVerdict(JsonNode vector) {
        JsonNode expect = vector.get("expect");
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

    /**
     * The verdict a driver's {@code vectors} command printed for a case (interop-spec.md):
     * {@code {"name", "verdict":"accepted", "envelope":{...}}} or {@code {"name", "verdict":"dead_lettered", "reason", "field"}}.
     */
    public static String driverVerdict(JsonNode line) {
        if ("accepted".equals(line.path("verdict").asText())) {
            Map<String, String> envelope = new TreeMap<>();
            line.path("envelope")
                    .fields()
                    .forEachRemaining(field -> envelope.put(
                            field.getKey(),
                            field.getValue().isTextual()
                                    ? field.getValue().asText()
                                    : field.getValue().toString()));
            return "accepted " + abbreviated(envelope);
        }
        if ("dead_lettered".equals(line.path("verdict").asText())) {
            JsonNode field = line.path("field");
            return "dead_lettered " + line.path("reason").asText() + "/" + (field.isNull() ? "" : field.asText());
        }
        return "not a verdict: " + line;
    }

    /** The vectors file, found from the module's directory (where Maven runs tests) or the repository root. */
    public static Path file() throws IOException {
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
