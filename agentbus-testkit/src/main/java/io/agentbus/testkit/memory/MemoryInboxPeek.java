package io.agentbus.testkit.memory;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.InboxEnd;
import io.agentbus.PendingEntry;
import io.agentbus.StoredEntry;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link AgentBus#peek} and {@link AgentBus#pendingEntries} of the in-memory bus: the entries of an agent's three
 * band streams, or their group's pending entries, merged by append order. Reads only: no stream is created.
 * Callers hold the server's lock.
 */
final class MemoryInboxPeek {

    private static final int[] BANDS = {KeySchema.HIGH_BAND_LOWEST_PRIORITY, KeySchema.NORMAL_BAND_LOWEST_PRIORITY, 1};

    private MemoryInboxPeek() {}

    static List<StoredEntry> entries(InMemoryServer server, AgentId agent, InboxEnd end, int limit) {
        checkLimit(limit);
        List<InAppendOrder<StoredEntry>> found = new ArrayList<>();
        for (MemoryStream band : bands(server, agent)) {
            for (MemoryStream.Entry entry : band.entries()) {
                found.add(new InAppendOrder<>(
                        entry.seq(),
                        new StoredEntry(
                                band.key,
                                entry.id(),
                                storedFields(entry.envelope()),
                                band.isUnread(KeySchema.INBOX_GROUP, entry))));
            }
        }
        return firstOf(found, end == InboxEnd.NEWEST, limit);
    }

    static List<PendingEntry> pending(InMemoryServer server, AgentId agent, int limit) {
        checkLimit(limit);
        Instant now = server.clock.instant();
        List<InAppendOrder<PendingEntry>> found = new ArrayList<>();
        for (MemoryStream band : bands(server, agent)) {
            for (MemoryStream.Pending pending : band.pendingEntries(KeySchema.INBOX_GROUP)) {
                found.add(new InAppendOrder<>(
                        pending.entry.seq(),
                        new PendingEntry(
                                band.key,
                                pending.entry.id(),
                                pending.consumer,
                                Duration.between(pending.readAt, now),
                                pending.deliveries)));
            }
        }
        return firstOf(found, false, limit);
    }

    /** A value with the server-wide append sequence of its entry, which orders entries across bands. */
    private record InAppendOrder<T>(long seq, T value) {}

    private static <T> List<T> firstOf(List<InAppendOrder<T>> found, boolean newestFirst, int limit) {
        Comparator<InAppendOrder<T>> oldestFirst = Comparator.comparingLong(InAppendOrder::seq);
        return found.stream()
                .sorted(newestFirst ? oldestFirst.reversed() : oldestFirst)
                .limit(limit)
                .map(InAppendOrder::value)
                .toList();
    }

    private static List<MemoryStream> bands(InMemoryServer server, AgentId agent) {
        List<MemoryStream> bands = new ArrayList<>();
        for (int priority : BANDS) {
            MemoryStream band = server.existingStream(KeySchema.inbox(agent, priority));
            if (band != null) {
                bands.add(band);
            }
        }
        return bands;
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > AgentBus.MAX_PEEK_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + AgentBus.MAX_PEEK_LIMIT + ", was " + limit);
        }
    }

    /** The fields of {@code envelope} as the Redis bus stores them in an inbox entry (docs/PROTOCOL.md section 3). */
    private static Map<String, String> storedFields(Envelope envelope) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.V, Integer.toString(envelope.v()));
        fields.put(WireFields.MESSAGE_ID, envelope.messageId().value());
        fields.put(WireFields.FROM_AGENT, envelope.fromAgent().value());
        fields.put(WireFields.TO_AGENT, envelope.toAgent().value());
        fields.put(WireFields.MESSAGE_TYPE, envelope.messageType());
        fields.put(WireFields.PAYLOAD, envelope.payload());
        fields.put(WireFields.TIMESTAMP, DateTimeFormatter.ISO_INSTANT.format(envelope.timestamp()));
        fields.put(WireFields.PRIORITY, Integer.toString(envelope.priority()));
        envelope.replyTo().ifPresent(agent -> fields.put(WireFields.REPLY_TO, agent.value()));
        envelope.correlationId().ifPresent(id -> fields.put(WireFields.CORRELATION_ID, id));
        envelope.conversationId().ifPresent(id -> fields.put(WireFields.CONVERSATION_ID, id));
        envelope.expiresAt()
                .ifPresent(at -> fields.put(WireFields.EXPIRES_AT, DateTimeFormatter.ISO_INSTANT.format(at)));
        fields.putAll(envelope.extensions());
        return fields;
    }
}
