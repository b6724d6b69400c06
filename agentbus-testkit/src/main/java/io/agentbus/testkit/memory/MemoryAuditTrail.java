package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.audit.AuditTrail;
import io.agentbus.protocol.WireFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The audit trail of an in-memory server: one shard per hash tag (the agent or topic a record
 * concerns), as on Redis. A record carries the message's {@link WireFields#AUDITED_FIELDS} (a
 * {@code sent} record also its payload) and the {@code audit_*} fields. A replay re-sends the
 * conversation's messages themselves, kept beside their {@code sent} records.
 */
final class MemoryAuditTrail implements AuditTrail {

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;

    MemoryAuditTrail(InMemoryAgentBus bus) {
        this.bus = bus;
        this.server = bus.server();
    }

    /** The identifying wire fields of {@code envelope}, and with {@code withPayload} its payload. */
    static Map<String, String> fieldsOf(Envelope envelope, boolean withPayload) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.MESSAGE_ID, envelope.messageId().value());
        fields.put(WireFields.FROM_AGENT, envelope.fromAgent().value());
        fields.put(WireFields.TO_AGENT, envelope.toAgent().value());
        fields.put(WireFields.MESSAGE_TYPE, envelope.messageType());
        fields.put(WireFields.PRIORITY, Integer.toString(envelope.priority()));
        envelope.conversationId().ifPresent(id -> fields.put(WireFields.CONVERSATION_ID, id));
        envelope.correlationId().ifPresent(id -> fields.put(WireFields.CORRELATION_ID, id));
        if (withPayload) {
            fields.put(WireFields.PAYLOAD, envelope.payload());
            envelope.replyTo().ifPresent(agent -> fields.put(WireFields.REPLY_TO, agent.value()));
        }
        return fields;
    }

    @Override
    public CompletionStage<String> decision(AgentId agent, String decision, Map<String, String> details) {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(decision, "decision");
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.AUDIT_DECISION, decision);
        fields.put(WireFields.FROM_AGENT, agent.value());
        fields.putAll(details);
        return CompletableFuture.completedFuture(
                server.record(agent.value(), "decision", fields, bus.options().auditCap()));
    }

    @Override
    public List<AuditEntry> tail(AuditQuery query, int limit) {
        return read(query, Map.of(), limit);
    }

    @Override
    public List<AuditEntry> after(AuditQuery query, Map<String, String> afterIdByShard, int limit) {
        return read(query, afterIdByShard, limit);
    }

    private List<AuditEntry> read(AuditQuery query, Map<String, String> afterIdByShard, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        Set<String> shards = query.agent().map(agent -> Set.of(agent.value())).orElse(null);
        List<AuditEntry> matching = new ArrayList<>();
        for (AuditEntry entry : server.auditShards(shards)) {
            String after = afterIdByShard.get(entry.shard());
            if ((after == null || sequence(entry.id()) > sequence(after)) && query.matches(entry)) {
                matching.add(entry);
            }
        }
        matching.sort(Comparator.comparing(AuditEntry::at).thenComparing(entry -> sequence(entry.id())));
        return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
    }

    @Override
    public int replay(String conversationId, String namespace) {
        Objects.requireNonNull(conversationId, "conversationId");
        AgentId.of(namespace + ".x"); // the namespace must keep agent ids valid, as on Redis
        int sent = 0;
        for (AuditEntry record : read(AuditQuery.all().conversation(conversationId), Map.of(), Integer.MAX_VALUE)) {
            if (record.event().equals("sent")) {
                Envelope original = server.sentMessage(record.id());
                if (original != null) {
                    Envelope.Builder sandboxed = original.toBuilder()
                            .from(namespace + "." + original.fromAgent().value())
                            .to(namespace + "." + original.toAgent().value());
                    original.replyTo().ifPresent(agent -> sandboxed.replyTo(namespace + "." + agent.value()));
                    bus.sync().send(sandboxed.build());
                    sent++;
                }
            }
        }
        return sent;
    }

    /** The server-wide sequence number of an id {@code <millis>-<seq>}: the order records were written in. */
    private static long sequence(String id) {
        return Long.parseLong(id.substring(id.indexOf('-') + 1));
    }
}
