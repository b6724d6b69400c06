package io.agentbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.audit.AuditEntry;
import io.agentbus.protocol.KeySchema;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a follower of the audit trail is: per audit shard stream, the id of the last record it has seen, as
 * {@link io.agentbus.audit.AuditTrail#after} takes it. {@code audit tail --follow} keeps one; the dashboard carries
 * one between polls as an opaque token (base64url of the map as JSON), so the server keeps no state per page.
 */
public final class AuditCursor {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() {};

    private final Map<String, String> lastIdByShard;

    /** An empty cursor: every shard is read from its start. */
    public AuditCursor() {
        this(new HashMap<>());
    }

    private AuditCursor(Map<String, String> lastIdByShard) {
        this.lastIdByShard = lastIdByShard;
    }

    /** The map for {@link io.agentbus.audit.AuditTrail#after}; a shard absent from it is read from its start. */
    public Map<String, String> lastIdByShard() {
        return lastIdByShard;
    }

    /** Moves past {@code records}. */
    public void advance(List<AuditEntry> records) {
        for (AuditEntry record : records) {
            lastIdByShard.merge(shardStream(record), record.id(), (a, b) -> newer(a, b) ? a : b);
        }
    }

    /** The stream of the record's shard: decisions and message records of one agent are separate streams. */
    private static String shardStream(AuditEntry record) {
        return record.event().equals("decision")
                ? KeySchema.auditDecisions(record.shard())
                : KeySchema.auditMessages(record.shard());
    }

    /** Stream ids are {@code <ms>-<seq>}: compared as numbers, since "999-0" is older than "1000-0". */
    private static boolean newer(String a, String b) {
        String[] x = a.split("-", 2);
        String[] y = b.split("-", 2);
        int byMillis = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return byMillis != 0 ? byMillis > 0 : Long.parseLong(x[1]) >= Long.parseLong(y[1]);
    }

    /** The cursor as an opaque URL-safe token, which {@link #decode} turns back into it. */
    public String encode() {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MAPPER.writeValueAsBytes(lastIdByShard));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is always JSON", e);
        }
    }

    /** @throws IllegalArgumentException if {@code token} is not what {@link #encode} made */
    public static AuditCursor decode(String token) {
        try {
            byte[] json = Base64.getUrlDecoder().decode(token);
            return new AuditCursor(new HashMap<>(MAPPER.readValue(new String(json, StandardCharsets.UTF_8), MAP)));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            throw new IllegalArgumentException("not an audit cursor: '" + token + "'", e);
        }
    }
}
