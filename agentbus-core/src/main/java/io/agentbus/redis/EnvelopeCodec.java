package io.agentbus.redis;

import static io.agentbus.protocol.WireFields.CONVERSATION_ID;
import static io.agentbus.protocol.WireFields.CORRELATION_ID;
import static io.agentbus.protocol.WireFields.CREATED_AT;
import static io.agentbus.protocol.WireFields.ENVELOPE_FIELDS;
import static io.agentbus.protocol.WireFields.EXPIRES_AT;
import static io.agentbus.protocol.WireFields.FROM_AGENT;
import static io.agentbus.protocol.WireFields.MESSAGE_ID;
import static io.agentbus.protocol.WireFields.MESSAGE_TYPE;
import static io.agentbus.protocol.WireFields.PAYLOAD;
import static io.agentbus.protocol.WireFields.PRIORITY;
import static io.agentbus.protocol.WireFields.REPLY_TO;
import static io.agentbus.protocol.WireFields.TIMESTAMP;
import static io.agentbus.protocol.WireFields.TO_AGENT;
import static io.agentbus.protocol.WireFields.V;

import io.agentbus.Envelope;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.WireFields;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wire form of an envelope, version 1: one stream entry, snake_case field names, string values
 * (docs/PROTOCOL.md), field names from {@link WireFields}.
 */
final class EnvelopeCodec {

    private static final String TIMESTAMP_RULE = "must be an ISO-8601 UTC date-time such as 2025-11-03T10:30:00Z";

    private EnvelopeCodec() {}

    /** The result of reading one stream entry: an envelope, or why it is not one. */
    sealed interface Decoded permits Valid, Malformed {}

    record Valid(Envelope envelope) implements Decoded {}

    /**
     * An entry that is not a readable envelope.
     *
     * @param reason why
     * @param field  the wire field at fault
     * @param detail the broken rule, in words
     */
    record Malformed(DeadLetterReason reason, String field, String detail) implements Decoded {}

    /** The values of {@link WireFields#AUDITED_FIELDS} of {@code envelope}, in its order, {@code ""} for an absent one. */
    static String[] auditedValues(Envelope envelope) {
        return new String[] {
            envelope.messageId().value(),
            envelope.fromAgent().value(),
            envelope.toAgent().value(),
            envelope.messageType(),
            Integer.toString(envelope.priority()),
            envelope.conversationId().orElse(""),
            envelope.correlationId().orElse("")
        };
    }

    static Map<String, String> encode(Envelope envelope) {
        Map<String, String> fields = new LinkedHashMap<>(16);
        fields.put(V, Integer.toString(envelope.v()));
        fields.put(MESSAGE_ID, envelope.messageId().value());
        fields.put(FROM_AGENT, envelope.fromAgent().value());
        fields.put(TO_AGENT, envelope.toAgent().value());
        fields.put(MESSAGE_TYPE, envelope.messageType());
        fields.put(PAYLOAD, envelope.payload());
        fields.put(TIMESTAMP, DateTimeFormatter.ISO_INSTANT.format(envelope.timestamp()));
        fields.put(PRIORITY, Integer.toString(envelope.priority()));
        envelope.replyTo().ifPresent(agent -> fields.put(REPLY_TO, agent.value()));
        envelope.correlationId().ifPresent(id -> fields.put(CORRELATION_ID, id));
        envelope.conversationId().ifPresent(id -> fields.put(CONVERSATION_ID, id));
        envelope.expiresAt().ifPresent(at -> fields.put(EXPIRES_AT, DateTimeFormatter.ISO_INSTANT.format(at)));
        fields.putAll(envelope.extensions());
        return fields;
    }

    /**
     * Reads an entry's fields, values as raw bytes so that invalid UTF-8 is seen, not replaced. A
     * value longer than {@code maxFieldBytes} is refused before it is decoded, so a hostile 10 MiB
     * field costs its bytes once, never a String or a JSON tree.
     */
    static Decoded decode(Map<String, byte[]> body, int maxFieldBytes) {
        Map<String, String> fields = new LinkedHashMap<>(body.size() * 2);
        for (Map.Entry<String, byte[]> field : body.entrySet()) {
            if (field.getValue().length > maxFieldBytes) {
                return new Malformed(
                        DeadLetterReason.TOO_LARGE,
                        field.getKey(),
                        "is " + field.getValue().length + " bytes, more than the limit of " + maxFieldBytes);
            }
            String value = strictUtf8(field.getValue());
            if (value == null || field.getKey().indexOf('\uFFFD') >= 0) {
                return new Malformed(DeadLetterReason.INVALID_ENCODING, field.getKey(), "is not valid UTF-8");
            }
            fields.put(field.getKey(), value);
        }
        return decodeText(fields);
    }

    static Decoded decodeText(Map<String, String> fields) {
        String version = fields.get(V);
        if (version != null) {
            int v;
            try {
                v = Integer.parseInt(version.trim());
            } catch (NumberFormatException e) {
                return new Malformed(DeadLetterReason.INVALID_FIELD, V, "must be an integer protocol version");
            }
            if (v > Envelope.PROTOCOL_VERSION) {
                return new Malformed(
                        DeadLetterReason.UNSUPPORTED_VERSION,
                        V,
                        "version " + v + " is newer than " + Envelope.PROTOCOL_VERSION
                                + ", the newest this consumer reads");
            }
            if (v < 1) {
                return new Malformed(DeadLetterReason.INVALID_FIELD, V, "must be >= 1");
            }
        }
        String timestampField = fields.containsKey(TIMESTAMP) ? TIMESTAMP : CREATED_AT;
        for (String required : new String[] {MESSAGE_ID, FROM_AGENT, TO_AGENT, MESSAGE_TYPE, PAYLOAD}) {
            if (!fields.containsKey(required)) {
                return new Malformed(DeadLetterReason.MISSING_FIELD, required, "is required");
            }
        }
        if (!fields.containsKey(timestampField)) {
            return new Malformed(DeadLetterReason.MISSING_FIELD, TIMESTAMP, "is required");
        }
        try {
            Envelope.Builder builder = Envelope.builder()
                    .messageId(fields.get(MESSAGE_ID))
                    .from(fields.get(FROM_AGENT))
                    .to(fields.get(TO_AGENT))
                    .type(fields.get(MESSAGE_TYPE))
                    .payload(fields.get(PAYLOAD))
                    .timestamp(parseTimestamp(timestampField, fields.get(timestampField)));
            if (fields.containsKey(PRIORITY)) {
                builder.priority(fields.get(PRIORITY));
            }
            if (fields.containsKey(REPLY_TO)) {
                builder.replyTo(fields.get(REPLY_TO));
            }
            if (fields.containsKey(CORRELATION_ID)) {
                builder.correlationId(fields.get(CORRELATION_ID));
            }
            if (fields.containsKey(CONVERSATION_ID)) {
                builder.conversationId(fields.get(CONVERSATION_ID));
            }
            if (fields.containsKey(EXPIRES_AT)) {
                builder.expiresAt(parseTimestamp(EXPIRES_AT, fields.get(EXPIRES_AT)));
            }
            fields.forEach((name, value) -> {
                if (!ENVELOPE_FIELDS.contains(name) && !name.equals(timestampField)) {
                    builder.extension(name, value);
                }
            });
            return new Valid(builder.build());
        } catch (InvalidEnvelopeException e) {
            return new Malformed(DeadLetterReason.INVALID_FIELD, e.field(), e.getMessage());
        }
    }

    static Instant parseTimestamp(String field, String text) {
        Instant canonical = parseCanonicalUtc(text);
        if (canonical != null) {
            return canonical;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notInstant) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException notOffset) {
                try {
                    // Python's datetime.utcnow().isoformat() has no zone; the protocol says UTC.
                    return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException notLocal) {
                    throw new InvalidEnvelopeException(field, text, TIMESTAMP_RULE);
                }
            }
        }
    }

    /**
     * The form every writer of the protocol uses, {@code yyyy-MM-ddTHH:mm:ss[.f…]Z} with 1 to 9 digits
     * of fraction, read without java.time's general parser, which took about a third of the handler
     * thread's samples at full rate (JFR of the bench, issue 18). Returns null for anything else (other
     * forms, leap seconds, invalid dates), which the general parsers then read or refuse, so this only
     * ever agrees with {@link Instant#parse} (EnvelopeCodecTest checks it).
     */
    static Instant parseCanonicalUtc(String text) {
        int length = text == null ? 0 : text.length();
        if (length < 20
                || length == 21
                || length > 30
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || text.charAt(10) != 'T'
                || text.charAt(13) != ':'
                || text.charAt(16) != ':'
                || text.charAt(length - 1) != 'Z'
                || (length > 20 && text.charAt(19) != '.')) {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        int fractionDigits = Math.max(0, length - 21);
        int fraction = fractionDigits == 0 ? 0 : digits(text, 20, fractionDigits);
        if ((year | month | day | hour | minute | second | fraction) < 0 || hour > 23 || minute > 59 || second > 59) {
            return null;
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException invalidDate) {
            return null;
        }
        return Instant.ofEpochSecond(
                epochDay * 86_400 + hour * 3_600 + minute * 60 + second, fraction * NANOS_PER_DIGIT[fractionDigits]);
    }

    /** Nanoseconds in one unit of the last digit of a fraction of n digits, by n (0 to 9). */
    private static final int[] NANOS_PER_DIGIT = {
        0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1
    };

    /** The decimal value of {@code count} ASCII digits from {@code start}, or -1 if one is not a digit. */
    private static int digits(String text, int start, int count) {
        int value = 0;
        for (int i = start; i < start + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static String strictUtf8(byte[] bytes) {
        if (isAscii(bytes)) {
            return new String(bytes, StandardCharsets.US_ASCII); // the common case, and cheap
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }
}
