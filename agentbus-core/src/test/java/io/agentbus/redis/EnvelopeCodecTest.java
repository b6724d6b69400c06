package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.Envelope;
import io.agentbus.deadletter.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

    @Test
    void encodedEnvelopeDecodesToItself() {
        Envelope envelope = Envelope.builder()
                .from("cmo")
                .to("copywriter")
                .type("task_assignment")
                .payload("{\"brief\":\"ünïcode ✓\"}")
                .priority(9)
                .replyTo("cmo")
                .correlationId("c-1")
                .conversationId("conv")
                .extension("x_tenant", "acme")
                .build();

        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decode(bytes(EnvelopeCodec.encode(envelope)), 1 << 20);

        assertThat(decoded).isEqualTo(new EnvelopeCodec.Valid(envelope));
    }

    @Test
    void timestampIsWrittenInIsoUtcForm() {
        Envelope envelope = Envelope.builder()
                .from("a")
                .to("b")
                .type("t")
                .payload("{}")
                .timestamp(Instant.parse("2025-11-03T10:30:00Z"))
                .build();

        assertThat(EnvelopeCodec.encode(envelope)).containsEntry("timestamp", "2025-11-03T10:30:00Z");
    }

    @Test
    void timestampsWithOffsetsOrWithoutZoneAreReadAsUtc() {
        assertThat(EnvelopeCodec.parseTimestamp("timestamp", "2025-11-03T11:30:00+01:00"))
                .isEqualTo(Instant.parse("2025-11-03T10:30:00Z"));
        assertThat(EnvelopeCodec.parseTimestamp("timestamp", "2025-11-03T10:30:00.5"))
                .isEqualTo(Instant.parse("2025-11-03T10:30:00.500Z"));
    }

    @Test
    void theCanonicalFastPathAgreesWithInstantParse() {
        Random random = new Random(18);
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochSecond(
                    random.nextLong(-62_135_596_800L, 253_402_300_799L), random.nextInt(1_000_000_000));
            String iso = DateTimeFormatter.ISO_INSTANT.format(instant);
            // Every fraction length a writer may use, then one character replaced by a neighbour of the form.
            String text = iso.substring(0, 19) + fraction(iso, random.nextInt(10)) + "Z";
            assertThat(EnvelopeCodec.parseCanonicalUtc(text)).as(text).isEqualTo(Instant.parse(text));
            char[] mutated = text.toCharArray();
            mutated[random.nextInt(mutated.length)] = "09:-.TZz+ 5".charAt(random.nextInt(11));
            assertAgrees(new String(mutated));
        }
        for (String edge : new String[] {
            "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-12-31T23:59:60Z",
            "2025-11-03T24:00:00Z", "2025-11-03T10:30:00.Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"
        }) {
            assertAgrees(edge);
        }
    }

    private static String fraction(String iso, int digits) {
        String nanos =
                iso.length() > 20 ? (iso.substring(20, iso.length() - 1) + "000000000").substring(0, 9) : "000000000";
        return digits == 0 ? "" : "." + nanos.substring(0, digits);
    }

    /** Where the fast path reads a text, Instant.parse reads it too, as the same instant. */
    private static void assertAgrees(String text) {
        Instant fast = EnvelopeCodec.parseCanonicalUtc(text);
        if (fast != null) {
            assertThat(fast).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void createdAtIsReadAsTimestampOnlyWhenTimestampIsAbsent() {
        Map<String, String> seed = minimal();
        seed.remove("timestamp");
        seed.put("created_at", "2025-11-03T10:30:00Z");
        Map<String, String> both = minimal();
        both.put("created_at", "2020-01-01T00:00:00Z");

        Envelope fromSeed = ((EnvelopeCodec.Valid) EnvelopeCodec.decodeText(seed)).envelope();
        Envelope fromBoth = ((EnvelopeCodec.Valid) EnvelopeCodec.decodeText(both)).envelope();

        assertThat(fromSeed.timestamp()).isEqualTo(Instant.parse("2025-11-03T10:30:00Z"));
        assertThat(fromSeed.extensions()).isEmpty();
        assertThat(fromBoth.timestamp()).isEqualTo(Instant.parse("2025-11-03T10:30:00Z"));
        assertThat(fromBoth.extensions()).containsEntry("created_at", "2020-01-01T00:00:00Z");
    }

    @Test
    void malformedEntriesSayWhichFieldAndWhy() {
        assertThat(malformed(without("payload")))
                .isEqualTo(new EnvelopeCodec.Malformed(DeadLetterReason.MISSING_FIELD, "payload", "is required"));
        assertThat(malformed(with("v", "2")).reason()).isEqualTo(DeadLetterReason.UNSUPPORTED_VERSION);
        assertThat(malformed(with("v", "one")).reason()).isEqualTo(DeadLetterReason.INVALID_FIELD);
        assertThat(malformed(with("priority", "11")).field()).isEqualTo("priority");
        assertThat(malformed(with("timestamp", "yesterday")).field()).isEqualTo("timestamp");
        assertThat(malformed(with("reply_to", "a b")).field()).isEqualTo("reply_to");
        assertThat(malformed(with("message_id", "has space")).field()).isEqualTo("message_id");
    }

    @Test
    void invalidUtf8IsReportedNotReplaced() {
        Map<String, byte[]> body = bytes(minimal());
        body.put("payload", new byte[] {'{', '}', (byte) 0xFF});

        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decode(body, 1 << 20);

        assertThat(decoded)
                .isEqualTo(new EnvelopeCodec.Malformed(
                        DeadLetterReason.INVALID_ENCODING, "payload", "is not valid UTF-8"));
    }

    private static EnvelopeCodec.Malformed malformed(Map<String, String> fields) {
        return (EnvelopeCodec.Malformed) EnvelopeCodec.decodeText(fields);
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> fields = minimal();
        fields.put(name, value);
        return fields;
    }

    private static Map<String, String> without(String name) {
        Map<String, String> fields = minimal();
        fields.remove(name);
        return fields;
    }

    private static Map<String, String> minimal() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("message_id", "m-1");
        fields.put("from_agent", "cmo");
        fields.put("to_agent", "copywriter");
        fields.put("message_type", "task");
        fields.put("payload", "{}");
        fields.put("timestamp", "2025-11-03T10:30:00Z");
        return fields;
    }

    private static Map<String, byte[]> bytes(Map<String, String> fields) {
        Map<String, byte[]> body = new LinkedHashMap<>();
        fields.forEach((name, value) -> body.put(name, value.getBytes(StandardCharsets.UTF_8)));
        return body;
    }
}
