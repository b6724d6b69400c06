package io.agentbus.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One record of the audit trail: a send, a delivery outcome, a redrive, or an agent's decision.
 *
 * @param id     the audit stream entry id
 * @param at     when it was recorded (the server's clock)
 * @param event  {@code sent}, {@code acked}, {@code retried}, {@code dead_lettered}, {@code expired},
 *               {@code redriven} or {@code decision}
 * @param shard  the hash tag of the audit shard it is in: the agent (or topic) it concerns
 * @param fields the record's fields: the message's identifying wire fields ({@code message_id},
 *               {@code from_agent}, {@code conversation_id}, …; all of them for {@code sent}) and the
 *               {@code audit_*} fields (consumer, attempt, reason, stream, entry id)
 */
public record AuditEntry(String id, Instant at, String event, String shard, Map<String, String> fields) {

    public AuditEntry {
        fields = Map.copyOf(fields);
    }

    public Optional<String> field(String name) {
        return Optional.ofNullable(fields.get(name));
    }
}
