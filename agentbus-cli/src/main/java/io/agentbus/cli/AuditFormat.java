package io.agentbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.audit.AuditEntry;
import io.agentbus.protocol.WireFields;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How audit records print: as {@code agentbus audit tail} shows them, in the demo's escalation trail and in
 * the dashboard's tail of the traffic.
 */
public final class AuditFormat {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AuditFormat() {}

    /** One line per record: time, event, type or decision, from -> to, message_id, conversation, reason. */
    public static String line(AuditEntry record) {
        Map<String, String> f = record.fields();
        StringBuilder line = new StringBuilder()
                .append(record.at())
                .append(' ')
                .append(record.event())
                .append(' ')
                .append(f.getOrDefault(WireFields.MESSAGE_TYPE, f.getOrDefault(WireFields.AUDIT_DECISION, "-")))
                .append(' ')
                .append(f.getOrDefault(WireFields.FROM_AGENT, "-"))
                .append(" -> ")
                .append(f.getOrDefault(WireFields.TO_AGENT, "-"))
                .append(' ')
                .append(f.getOrDefault(WireFields.MESSAGE_ID, "-"));
        if (f.containsKey(WireFields.CONVERSATION_ID)) {
            line.append(" conversation=").append(f.get(WireFields.CONVERSATION_ID));
        }
        if (f.containsKey(WireFields.AUDIT_REASON)) {
            String reason = f.get(WireFields.AUDIT_REASON);
            line.append(" reason=").append(reason.length() > 80 ? reason.substring(0, 80) + "…" : reason);
        }
        return line.toString();
    }

    /** A record as JSON: id, at, event, shard, then the record's fields. The dashboard's tail shows the same. */
    public static Map<String, Object> asMap(AuditEntry record) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", record.id());
        object.put("at", record.at().toString());
        object.put("event", record.event());
        object.put("shard", record.shard());
        object.putAll(record.fields());
        return object;
    }

    /** {@link #asMap} as one line of JSON, as {@code audit tail --json} prints it. */
    public static String json(AuditEntry record) {
        try {
            return MAPPER.writeValueAsString(asMap(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("strings always make JSON", e);
        }
    }
}
