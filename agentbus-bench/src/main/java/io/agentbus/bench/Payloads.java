package io.agentbus.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.Priority;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The bytes every system moves. A payload is a JSON object of exactly the asked size that carries a
 * send stamp, {@code {"t":"<19 digits>","pad":"xxx…"}}: the open-loop harness writes the intended send
 * time there and the handler reads it back; throughput runs send the stamp 0, so every run moves the
 * same shape. Systems that are not agentbus wrap it in the same protocol fields agentbus writes
 * ({@link #fields}), so every stream entry is the same size.
 */
final class Payloads {

    static final ObjectMapper MAPPER = new ObjectMapper();
    /**
     * The system property that hands a process the stamp clock's origin of the process that started it, so that
     * a stamp written in one JVM reads right in another (department): on Linux, {@link System#nanoTime()} is
     * CLOCK_MONOTONIC, one clock for every process of the machine.
     */
    static final String ORIGIN_PROPERTY = "agentbus.bench.clock-origin";
    /** Stamps are nanoseconds since this origin, so they are never negative. */
    private static final long ORIGIN = Long.getLong(ORIGIN_PROPERTY, System.nanoTime());

    private static final String PREFIX = "{\"t\":\"";
    private static final int DIGITS = 19;
    private static final String MIDDLE = "\",\"pad\":\"";
    private static final String SUFFIX = "\"}";
    private static final int OVERHEAD = PREFIX.length() + DIGITS + MIDDLE.length() + SUFFIX.length();
    /** Every message's priority: agentbus's default, so it lands in the normal band. */
    static final int PRIORITY = Priority.NORMAL.value();

    private Payloads() {}

    /** The origin of the stamp clock, for {@link #ORIGIN_PROPERTY} of a process this one starts. */
    static long origin() {
        return ORIGIN;
    }

    /** Now, on the stamp clock. */
    static long now() {
        return System.nanoTime() - ORIGIN;
    }

    /** A JSON object of exactly {@code bytes} bytes carrying {@code stamp}. */
    static String stamped(long stamp, int bytes) {
        if (bytes < OVERHEAD) {
            throw new IllegalArgumentException("payload must be >= " + OVERHEAD + " bytes, was " + bytes);
        }
        StringBuilder json = new StringBuilder(bytes).append(PREFIX);
        String digits = Long.toString(stamp);
        json.append("0".repeat(DIGITS - digits.length())).append(digits).append(MIDDLE);
        json.append("x".repeat(bytes - OVERHEAD)).append(SUFFIX);
        return json.toString();
    }

    /** The stamp a {@link #stamped} payload carries. */
    static long stampOf(String payload) {
        return Long.parseLong(payload, PREFIX.length(), PREFIX.length() + DIGITS, 10);
    }

    /**
     * The protocol fields agentbus writes for one message (docs/PROTOCOL.md section 3), for the systems
     * that move the same message without agentbus: a fresh UUID message id and the time now.
     */
    static Map<String, String> fields(String to, String payload) {
        return fields("producer", to, payload);
    }

    /** As {@link #fields(String, String)}, from agent {@code from}. */
    static Map<String, String> fields(String from, String to, String payload) {
        Map<String, String> fields = new LinkedHashMap<>(16);
        fields.put(WireFields.V, Integer.toString(Envelope.PROTOCOL_VERSION));
        fields.put(WireFields.MESSAGE_ID, UUID.randomUUID().toString());
        fields.put(WireFields.FROM_AGENT, from);
        fields.put(WireFields.TO_AGENT, to);
        fields.put(WireFields.MESSAGE_TYPE, "bench");
        fields.put(WireFields.PAYLOAD, payload);
        fields.put(WireFields.TIMESTAMP, DateTimeFormatter.ISO_INSTANT.format(Instant.now()));
        fields.put(WireFields.PRIORITY, Integer.toString(PRIORITY));
        return fields;
    }

    /** The inbox stream agentbus appends {@code agent}'s messages of the bench's priority to. */
    static String inbox(String agent) {
        return KeySchema.inbox(AgentId.of(agent), PRIORITY);
    }

    /** agentbus's dedup marker of message {@code messageId} sent to {@code agent}. */
    static String dedup(String agent, String messageId) {
        return KeySchema.dedup(AgentId.of(agent), MessageId.of(messageId));
    }

    /** The same fields as one JSON text: the seed's list design stores one such string per message. */
    static String json(Map<String, String> fields) {
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
