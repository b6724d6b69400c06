package io.agentbus.audit;

import io.agentbus.AgentId;
import io.agentbus.protocol.WireFields;
import java.time.Instant;
import java.util.Optional;

/**
 * Which audit records to read: all, or those of one agent, one conversation, one correlation id or
 * one message type, since a time. Absent criteria match everything.
 */
public record AuditQuery(
        Optional<AgentId> agent,
        Optional<String> conversationId,
        Optional<String> correlationId,
        Optional<String> messageType,
        Optional<Instant> since) {

    public static AuditQuery all() {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public AuditQuery agent(AgentId value) {
        return new AuditQuery(Optional.of(value), conversationId, correlationId, messageType, since);
    }

    public AuditQuery conversation(String value) {
        return new AuditQuery(agent, Optional.of(value), correlationId, messageType, since);
    }

    public AuditQuery correlation(String value) {
        return new AuditQuery(agent, conversationId, Optional.of(value), messageType, since);
    }

    public AuditQuery type(String value) {
        return new AuditQuery(agent, conversationId, correlationId, Optional.of(value), since);
    }

    public AuditQuery since(Instant value) {
        return new AuditQuery(agent, conversationId, correlationId, messageType, Optional.of(value));
    }

    /** Whether {@code entry} meets the content criteria (the agent is chosen by the shards read). */
    public boolean matches(AuditEntry entry) {
        return conversationId
                        .map(id -> id.equals(entry.fields().get(WireFields.CONVERSATION_ID)))
                        .orElse(true)
                && correlationId
                        .map(id -> id.equals(entry.fields().get(WireFields.CORRELATION_ID))
                                || id.equals(entry.fields().get(WireFields.MESSAGE_ID)))
                        .orElse(true)
                && messageType
                        .map(type -> type.equals(entry.fields().get(WireFields.MESSAGE_TYPE)))
                        .orElse(true)
                && since.map(time -> !entry.at().isBefore(time)).orElse(true);
    }
}
