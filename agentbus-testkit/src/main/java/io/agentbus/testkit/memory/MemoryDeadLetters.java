package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.memory.InMemoryServer.Counter;
import io.agentbus.testkit.memory.InMemoryServer.StoredDeadLetter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The dead letters of an agent's inbox ({@code agent:{id}:dlq}) or of a group on a stream
 * ({@code topic:{name}:dlq:<group>}) on an in-memory server. A redrive appends the message to the
 * stream it came from as a new entry, so its attempts start again at 1.
 */
final class MemoryDeadLetters implements DeadLetters {

    private static final int BATCH = 200;

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;
    private final AgentId agent;
    private final String key;

    MemoryDeadLetters(InMemoryAgentBus bus, AgentId agent, String key) {
        this.bus = bus;
        this.server = bus.server();
        this.agent = agent;
        this.key = key;
    }

    @Override
    public AgentId agent() {
        return agent;
    }

    @Override
    public long count() {
        synchronized (server) {
            return box().size();
        }
    }

    @Override
    public List<DeadLetter> list(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        synchronized (server) {
            return box().values().stream()
                    .limit(limit)
                    .map(StoredDeadLetter::letter)
                    .toList();
        }
    }

    @Override
    public Optional<DeadLetter> find(String id) {
        Objects.requireNonNull(id, "id");
        synchronized (server) {
            StoredDeadLetter byEntryId = box().get(id);
            if (byEntryId != null) {
                return Optional.of(byEntryId.letter());
            }
            return box().values().stream()
                    .map(StoredDeadLetter::letter)
                    .filter(letter -> letter.envelope()
                            .map(envelope -> envelope.messageId().value().equals(id))
                            .orElse(false))
                    .findFirst();
        }
    }

    @Override
    public long redrive(List<String> ids) {
        long moved = 0;
        synchronized (server) {
            Instant now = server.clock.instant();
            for (String id : ids) {
                StoredDeadLetter stored = box().remove(id);
                if (stored == null) {
                    continue;
                }
                MemoryStream source = stored.source();
                MemoryStream.Entry entry =
                        server.appendTo(source, stored.letter().envelope().orElseThrow(), now);
                server.count(KeySchema.counters(source.key), Counter.REDRIVEN);
                if (bus.options().auditCap() > 0) {
                    Map<String, String> fields = MemoryAuditTrail.fieldsOf(entry.envelope(), false);
                    fields.put(WireFields.AUDIT_STREAM, source.key);
                    fields.put(WireFields.AUDIT_ENTRY_ID, entry.id());
                    server.record(
                            KeySchema.hashTag(source.key),
                            "redriven",
                            fields,
                            bus.options().auditCap());
                }
                moved++;
            }
        }
        server.pump();
        return moved;
    }

    @Override
    public long redriveAll(LongConsumer progress) {
        List<String> present;
        synchronized (server) {
            present = new ArrayList<>(box().keySet());
        }
        long moved = 0;
        for (int from = 0; from < present.size(); from += BATCH) {
            moved += redrive(present.subList(from, Math.min(present.size(), from + BATCH)));
            progress.accept(moved);
        }
        return moved;
    }

    @Override
    public long purge() {
        synchronized (server) {
            long purged = box().size();
            box().clear();
            return purged;
        }
    }

    @Override
    public long purgeOlderThan(Duration age) {
        synchronized (server) {
            Instant cutoff = server.clock.instant().minus(age);
            long before = box().size();
            box().values().removeIf(stored -> stored.letter().lastFailedAt().isBefore(cutoff));
            return before - box().size();
        }
    }

    private Map<String, StoredDeadLetter> box() {
        return server.deadLetterBox(key);
    }
}
