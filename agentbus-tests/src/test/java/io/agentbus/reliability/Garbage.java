package io.agentbus.reliability;

import io.agentbus.AgentId;
import io.agentbus.deadletter.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Kinds of raw entries no valid sender writes, and the dead-letter reason each must get. */
enum Garbage {
    INVALID_JSON(DeadLetterReason.INVALID_FIELD),
    NO_MESSAGE_ID(DeadLetterReason.MISSING_FIELD),
    VERSION_TWO(DeadLetterReason.UNSUPPORTED_VERSION),
    BAD_SENDER_ID(DeadLetterReason.INVALID_FIELD),
    NOT_UTF8(DeadLetterReason.INVALID_ENCODING),
    TEN_MIB_FIELD(DeadLetterReason.TOO_LARGE);

    private static final int TEN_MIB = 10 * 1024 * 1024;

    final DeadLetterReason reason;

    Garbage(DeadLetterReason reason) {
        this.reason = reason;
    }

    Map<byte[], byte[]> fields(AgentId to, int n) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("v", bytes("1"));
        fields.put("message_id", bytes("garbage-" + n));
        fields.put("from_agent", bytes("dispatcher"));
        fields.put("to_agent", bytes(to.value()));
        fields.put("message_type", bytes("task"));
        fields.put("payload", bytes("{\"n\":" + n + "}"));
        fields.put("timestamp", bytes("2025-11-03T10:30:00Z"));
        switch (this) {
            case INVALID_JSON -> fields.put("payload", bytes("{not json"));
            case NO_MESSAGE_ID -> fields.remove("message_id");
            case VERSION_TWO -> fields.put("v", bytes("2"));
            case BAD_SENDER_ID -> fields.put("from_agent", bytes("evil}{:"));
            case NOT_UTF8 ->
                fields.put("payload", new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'});
            case TEN_MIB_FIELD -> {
                byte[] huge = new byte[TEN_MIB];
                java.util.Arrays.fill(huge, (byte) 'x');
                byte[] open = bytes("{\"x\":\"");
                System.arraycopy(open, 0, huge, 0, open.length);
                huge[TEN_MIB - 2] = '"';
                huge[TEN_MIB - 1] = '}';
                fields.put("payload", huge);
            }
            default -> throw new IllegalStateException(name());
        }
        Map<byte[], byte[]> raw = new LinkedHashMap<>();
        fields.forEach((name, value) -> raw.put(bytes(name), value));
        return raw;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
