package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxFullException;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.SendReceipt;
import io.agentbus.audit.AuditEntry;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the in-memory buses share, as Redis is what Redis buses share: inboxes, topics, dead letters,
 * dedup markers, counters, the audit trail, the registry and swarm state. Buses
 * {@link #connect(BusOptions) connected} to one server see each other's messages, as processes on one
 * Redis do: two buses subscribing the same agent compete for its inbox. State is kept under the names
 * of {@link KeySchema} ({@code agent:{id}:inbox:high}, {@code topic:{name}:dlq:group}), so what a test
 * reads in an error message is what it would find in Redis.
 *
 * <p>Concurrency: one lock, this object's monitor, guards all state, and no user code runs under it:
 * handlers run on each bus's executor, futures complete there too. Time: everything timed reads the
 * server's {@link Clock}; a tick every few milliseconds (and every {@link #awaitIdle} call) moves due
 * delayed messages, redelivers retries and abandoned leases, and times requests out, so a
 * {@link TestClock} drives them all.
 */
public final class InMemoryServer implements AutoCloseable {

    private static final long TICK_MILLIS = 5;

    final Clock clock;
    private final String name;
    private final Map<String, MemoryStream> streams = new HashMap<>();
    private final Map<String, Marker> markers = new HashMap<>();
    private final Map<String, long[]> counters = new HashMap<>();
    private final Map<String, Map<String, StoredDeadLetter>> deadLetters = new HashMap<>();
    private final Map<String, List<AuditEntry>> audit = new HashMap<>();
    private final Map<String, Envelope> sentMessages = new HashMap<>();
    private final Map<AgentId, List<Delayed>> delayed = new HashMap<>();
    final Set<String> known = new TreeSet<>();
    final MemorySwarms.SwarmTable swarms = new MemorySwarms.SwarmTable();
    final MemorySwarmMessenger.Senders senders = new MemorySwarmMessenger.Senders();
    final Map<AgentId, io.agentbus.registry.AgentCard> cards = new HashMap<>();
    final List<MemoryConsumer> consumers = new CopyOnWriteArrayList<>();
    final List<MemoryBroadcasts.Listening> listenings = new CopyOnWriteArrayList<>();
    private final List<InMemoryAgentBus> buses = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService ticker;
    private long lastSeq;
    private int busNumber;
    /** Handlers running, asynchronous work a handler acked with, broadcasts not yet handled. */
    private int inFlight;

    private boolean closed;

    private record Marker(String value, Instant expiresAt) {}

    /** A dead letter and the stream a redrive appends it to. */
    record StoredDeadLetter(DeadLetter letter, MemoryStream source) {}

    private record Delayed(Envelope envelope, Instant due, BusOptions options) {}

    private InMemoryServer(Clock clock, String name) {
        this.clock = clock;
        this.name = name;
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name + "-ticker");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(this::pump, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A server on the system clock. */
    public static InMemoryServer create() {
        return create(Clock.systemUTC());
    }

    /** A server whose times all come from {@code clock}, typically a {@link TestClock}. */
    public static InMemoryServer create(Clock clock) {
        return new InMemoryServer(Objects.requireNonNull(clock, "clock"), "memory");
    }

    /** A new bus on this server with {@code options}; close it, or close the server. */
    public InMemoryAgentBus connect(BusOptions options) {
        InMemoryAgentBus bus;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("in-memory server is closed");
            }
            bus = new InMemoryAgentBus(this, Objects.requireNonNull(options, "options"), ++busNumber, false);
            buses.add(bus);
        }
        return bus;
    }

    synchronized InMemoryAgentBus connectOwned(BusOptions options) {
        InMemoryAgentBus bus =
                new InMemoryAgentBus(this, Objects.requireNonNull(options, "options"), ++busNumber, true);
        buses.add(bus);
        return bus;
    }

    /** The clock every time on this server is read from. */
    public Clock clock() {
        return clock;
    }

    /**
     * Waits until nothing is left to do without time passing: no handler running, no asynchronous
     * work a handler acked with ({@code ackWhen}) unsettled, no broadcast unhandled, no deferred swarm
     * event, and no message that a running subscription could take now (delayed messages that are due
     * included). Messages in an inbox nobody subscribes to, and retries or delayed messages not yet
     * due, do not count: with a {@link TestClock} they wait for {@link TestClock#advance}.
     *
     * @throws AssertionError if the server is still busy after {@code timeout}, saying with what
     */
    public void awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            pump();
            synchronized (this) {
                String busy = busyWith();
                if (busy == null) {
                    return;
                }
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMillis <= 0) {
                    throw new AssertionError("in-memory bus not idle within " + timeout + ": " + busy);
                }
                try {
                    wait(Math.min(leftMillis, TICK_MILLIS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for the in-memory bus to be idle", e);
                }
            }
        }
    }

    private String busyWith() {
        if (inFlight > 0) {
            return inFlight + " handlers, acknowledgements or broadcasts in flight";
        }
        for (InMemoryAgentBus bus : buses) {
            long deferred = bus.deferredSwarmEvents();
            if (deferred > 0) {
                return deferred + " swarm events deferred by the rate limit";
            }
        }
        return null;
    }

    /** Closes every bus connected to this server, then stops its ticker. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (InMemoryAgentBus bus : buses) {
            bus.close();
        }
        ticker.shutdownNow();
    }

    @Override
    public String toString() {
        return "InMemoryServer[" + name + "]";
    }

    // The tick

    /** Moves what is due, lets each bus time out what it waits for, and gives idle subscriptions their next message. */
    void pump() {
        synchronized (this) {
            if (closed) {
                return;
            }
            Instant now = clock.instant();
            moveDueMessages(now);
            for (InMemoryAgentBus bus : buses) {
                bus.timeOutRequests(now);
            }
            for (MemoryConsumer consumer : consumers) {
                consumer.takeWork(now);
            }
            notifyAll();
        }
        // Outside the lock: an event bus takes its own lock first, then (publishing) the server's.
        for (InMemoryAgentBus bus : buses) {
            bus.publishDeferredSwarmEvents();
        }
    }

    synchronized void busClosed(InMemoryAgentBus bus) {
        buses.remove(bus);
        if (bus.ownsServer()) {
            closed = true;
            ticker.shutdownNow();
        }
    }

    synchronized void workStarted() {
        inFlight++;
    }

    synchronized void workEnded() {
        inFlight--;
        notifyAll();
    }

    // Streams and sends

    synchronized MemoryStream stream(String key) {
        return streams.computeIfAbsent(key, MemoryStream::new);
    }

    synchronized MemoryStream existingStream(String key) {
        return streams.get(key);
    }

    /** A new id {@code <millis>-<seq>}: unique on this server, and ordered as they were made. */
    synchronized String nextId(Instant now) {
        return now.toEpochMilli() + "-" + (++lastSeq);
    }

    /** Appends {@code envelope} to {@code stream} under a new id. */
    synchronized MemoryStream.Entry appendTo(MemoryStream stream, Envelope envelope, Instant now) {
        long seq = ++lastSeq;
        return stream.append(seq, now.toEpochMilli() + "-" + seq, envelope, now);
    }

    /**
     * Appends {@code envelope} to {@code streamKey} once per {@code dedupKey} within the sending bus's
     * dedup window, as send.lua does: a duplicate stores nothing and returns the first entry's id; with
     * a {@code requiredGroup} the stream must have that group ({@code NO_RESPONDERS}); with a
     * {@code maxLength} the stream must hold fewer entries ({@link InboxFullException}).
     */
    synchronized SendReceipt append(
            String streamKey,
            String dedupKey,
            Envelope envelope,
            String requiredGroup,
            long maxLength,
            BusOptions options) {
        Instant now = clock.instant();
        String countersKey = KeySchema.counters(streamKey);
        String first = marker(dedupKey, now);
        if (first != null) {
            count(countersKey, Counter.DEDUPLICATED);
            return new SendReceipt(envelope.messageId(), envelope.toAgent(), first, true);
        }
        MemoryStream existing = streams.get(streamKey);
        if (requiredGroup != null && (existing == null || !existing.hasGroup(requiredGroup))) {
            throw RecipientUnavailableException.noResponders(envelope.toAgent());
        }
        if (maxLength > 0 && existing != null && existing.length() >= maxLength) {
            throw new InboxFullException(envelope.toAgent(), maxLength);
        }
        MemoryStream.Entry entry = appendTo(stream(streamKey), envelope, now);
        markers.put(dedupKey, new Marker(entry.id(), now.plus(options.send().dedupWindow())));
        count(countersKey, Counter.SENT);
        recordSent(streamKey, entry, options);
        notifyAll();
        return new SendReceipt(envelope.messageId(), envelope.toAgent(), entry.id(), false);
    }

    private void recordSent(String streamKey, MemoryStream.Entry entry, BusOptions options) {
        if (options.auditCap() > 0) {
            Map<String, String> fields = MemoryAuditTrail.fieldsOf(entry.envelope(), true);
            fields.put(WireFields.AUDIT_STREAM, streamKey);
            fields.put(WireFields.AUDIT_ENTRY_ID, entry.id());
            String id = record(KeySchema.hashTag(streamKey), "sent", fields, options.auditCap());
            sentMessages.put(id, entry.envelope());
        }
    }

    /** Keeps {@code envelope} for delivery into its recipient's inbox at {@code due}, deduplicated like a send. */
    synchronized SendReceipt schedule(Envelope envelope, Instant due, BusOptions options) {
        Instant now = clock.instant();
        AgentId to = envelope.toAgent();
        String dedupKey = KeySchema.dedup(to, envelope.messageId());
        String first = marker(dedupKey, now);
        if (first != null) {
            count(KeySchema.counters(to), Counter.DEDUPLICATED);
            return new SendReceipt(envelope.messageId(), to, first, true);
        }
        markers.put(dedupKey, new Marker("", now.plus(options.send().dedupWindow())));
        count(KeySchema.counters(to), Counter.SENT);
        delayed.computeIfAbsent(to, agent -> new ArrayList<>()).add(new Delayed(envelope, due, options));
        return new SendReceipt(envelope.messageId(), to, "", false);
    }

    synchronized long delayedCount(AgentId agent) {
        return delayed.getOrDefault(agent, List.of()).size();
    }

    private void moveDueMessages(Instant now) {
        for (List<Delayed> waiting : delayed.values()) {
            waiting.sort((a, b) -> a.due().compareTo(b.due()));
            while (!waiting.isEmpty() && !now.isBefore(waiting.get(0).due())) {
                Delayed due = waiting.remove(0);
                Envelope envelope = due.envelope();
                String inbox = KeySchema.inbox(envelope.toAgent(), envelope.priority());
                MemoryStream.Entry entry = appendTo(stream(inbox), envelope, now);
                String dedupKey = KeySchema.dedup(envelope.toAgent(), envelope.messageId());
                Marker marker = markers.get(dedupKey);
                if (marker != null) { // a resend within the window now reports the entry, as a send's would
                    markers.put(dedupKey, new Marker(entry.id(), marker.expiresAt()));
                }
                recordSent(inbox, entry, due.options());
            }
        }
    }

    // Markers: dedup and idempotency

    /** The value of marker {@code key}, or null if absent or expired. */
    synchronized String marker(String key, Instant now) {
        Marker marker = markers.get(key);
        if (marker == null) {
            return null;
        }
        if (!now.isBefore(marker.expiresAt())) {
            markers.remove(key);
            return null;
        }
        return marker.value();
    }

    synchronized void setMarker(String key, String value, Duration ttl) {
        markers.put(key, new Marker(value, clock.instant().plus(ttl)));
    }

    // Counters

    /** The counters of {@code InboxStats.Counters}, in the order of {@link WireFields#COUNTERS}. */
    enum Counter {
        SENT,
        DEDUPLICATED,
        ACKED,
        RETRIED,
        DEAD_LETTERED,
        EXPIRED,
        REDRIVEN
    }

    synchronized void count(String countersKey, Counter counter) {
        counters.computeIfAbsent(countersKey, key -> new long[Counter.values().length])[counter.ordinal()]++;
    }

    synchronized long[] counters(String countersKey) {
        return counters.getOrDefault(countersKey, new long[Counter.values().length])
                .clone();
    }

    // Dead letters

    synchronized Map<String, StoredDeadLetter> deadLetterBox(String key) {
        return deadLetters.computeIfAbsent(key, name -> new LinkedHashMap<>());
    }

    // Audit

    /** Appends a record to the shard of {@code tag}, keeping its newest {@code cap}; returns the record's id. */
    synchronized String record(String tag, String event, Map<String, String> fields, long cap) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(WireFields.AUDIT_EVENT, event);
        all.putAll(fields);
        Instant now = clock.instant();
        List<AuditEntry> shard = audit.computeIfAbsent(tag, name -> new ArrayList<>());
        AuditEntry entry = new AuditEntry(nextId(now), now, event, tag, all);
        shard.add(entry);
        if (shard.size() > Math.max(1, cap)) {
            sentMessages.remove(shard.remove(0).id());
        }
        return entry.id();
    }

    /** The message a {@code sent} record stands for, while the record is kept: what a replay sends again. */
    synchronized Envelope sentMessage(String auditId) {
        return sentMessages.get(auditId);
    }

    synchronized List<AuditEntry> auditShards(Set<String> tags) {
        List<AuditEntry> entries = new ArrayList<>();
        audit.forEach((tag, shard) -> {
            if (tags == null || tags.contains(tag)) {
                entries.addAll(shard);
            }
        });
        return entries;
    }
}
