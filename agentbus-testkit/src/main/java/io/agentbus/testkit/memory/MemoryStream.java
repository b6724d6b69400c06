package io.agentbus.testkit.memory;

import io.agentbus.Envelope;
import io.agentbus.Retention;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One stream of the in-memory server, the stand-in for a Redis Stream with consumer groups: an
 * inbox band, a durable topic, a swarm pair's messages. Entries are kept in append order; each group
 * has a read position and its pending entries (delivered, not yet settled), each with its delivery
 * count, its holder, and when it may be delivered again (a retry's backoff, or the end of a lease).
 *
 * <p>Not thread-safe: {@link InMemoryServer} guards every stream with its one lock.
 */
final class MemoryStream {

    /** One stored message; {@code seq} orders entries server-wide, {@code id} is what users see. */
    record Entry(long seq, String id, Envelope envelope, Instant appendedAt) {}

    /** A delivered, unsettled entry of one group (the pending entries list of XREADGROUP). */
    static final class Pending {
        final Entry entry;
        int deliveries;
        String consumer;
        Instant readAt;
        /** When another delivery may take it: after a retry's backoff, or when its lease ends. */
        Instant claimableAt;

        Instant firstFailedAt;

        Pending(Entry entry) {
            this.entry = entry;
        }
    }

    private static final class Group {
        long lastDelivered;
        final NavigableMap<Long, Pending> pending = new TreeMap<>();

        Group(long lastDelivered) {
            this.lastDelivered = lastDelivered;
        }
    }

    final String key;
    private final NavigableMap<Long, Entry> entries = new TreeMap<>();
    private final Map<String, Group> groups = new HashMap<>();

    MemoryStream(String key) {
        this.key = key;
    }

    Entry append(long seq, String id, Envelope envelope, Instant now) {
        Entry entry = new Entry(seq, id, envelope, now);
        entries.put(seq, entry);
        return entry;
    }

    long length() {
        return entries.size();
    }

    Iterable<Entry> entries() {
        return entries.values();
    }

    /** Creates {@code group} if absent, reading from the oldest entry or from the next one appended. */
    void createGroup(String group, boolean fromOldest) {
        groups.computeIfAbsent(group, name -> new Group(fromOldest || entries.isEmpty() ? 0 : entries.lastKey()));
    }

    boolean hasGroup(String group) {
        return groups.containsKey(group);
    }

    /**
     * The next delivery for {@code consumer} of {@code group}: a pending entry whose time has come
     * (retried or abandoned) first, else the next unread entry; {@code null} when there is none.
     * The entry is then held by {@code consumer} until {@code holdUntil}.
     */
    Pending claim(String group, String consumer, Instant now, Instant holdUntil) {
        Group state = groups.get(group);
        if (state == null) {
            return null;
        }
        Pending next = null;
        for (Pending pending : state.pending.values()) {
            if (!now.isBefore(pending.claimableAt)) {
                next = pending;
                break;
            }
        }
        if (next == null) {
            Map.Entry<Long, Entry> unread = entries.higherEntry(state.lastDelivered);
            if (unread == null) {
                return null;
            }
            state.lastDelivered = unread.getKey();
            next = new Pending(unread.getValue());
            state.pending.put(unread.getKey(), next);
        }
        next.deliveries++;
        next.consumer = consumer;
        next.readAt = now;
        next.claimableAt = holdUntil;
        return next;
    }

    /** Whether {@code pending} is still the group's pending entry as delivered (not settled or taken meanwhile). */
    boolean holds(String group, Pending pending, int deliveries) {
        Group state = groups.get(group);
        return state != null && state.pending.get(pending.entry.seq()) == pending && pending.deliveries == deliveries;
    }

    void settle(String group, Pending pending) {
        Group state = groups.get(group);
        if (state != null) {
            state.pending.remove(pending.entry.seq());
        }
    }

    /** Whether {@code group} has not been given {@code entry} yet; true without the group (nobody read). */
    boolean isUnread(String group, Entry entry) {
        Group state = groups.get(group);
        return state == null || entry.seq() > state.lastDelivered;
    }

    /** The entries {@code group} has not delivered yet, oldest first; all of them while it does not exist. */
    Iterable<Entry> unread(String group) {
        Group state = groups.get(group);
        return state == null
                ? entries.values()
                : entries.tailMap(state.lastDelivered, false).values();
    }

    long pending(String group) {
        Group state = groups.get(group);
        return state == null ? 0 : state.pending.size();
    }

    Iterable<Pending> pendingEntries(String group) {
        Group state = groups.get(group);
        return state == null ? java.util.List.of() : state.pending.values();
    }

    /**
     * Removes entries beyond {@code retention}'s length or age, oldest first, but never one a group
     * has not read yet or still holds pending (as trim.lua does). Returns how many went.
     */
    long trim(Retention retention, Instant now) {
        long removed = 0;
        Iterator<Entry> oldestFirst = entries.values().iterator();
        while (oldestFirst.hasNext()) {
            Entry entry = oldestFirst.next();
            boolean tooMany = retention.maxLength() > 0 && entries.size() > retention.maxLength();
            boolean tooOld = !retention.maxAge().isZero()
                    && entry.appendedAt().plus(retention.maxAge()).isBefore(now);
            if ((!tooMany && !tooOld) || !settledByEveryGroup(entry.seq())) {
                break;
            }
            oldestFirst.remove();
            removed++;
        }
        return removed;
    }

    private boolean settledByEveryGroup(long seq) {
        for (Group group : groups.values()) {
            if (seq > group.lastDelivered || group.pending.containsKey(seq)) {
                return false;
            }
        }
        return true;
    }
}
