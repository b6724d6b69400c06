package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.Retention;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.KeySchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream of a running instance ({@link ConsumerInstance}): an inbox band, a durable topic, or a
 * swarm's message stream. It
 * holds what was read from that stream and not settled yet, keeps those leases alive, reclaims,
 * and settles entries: acks (batched), retries, dead letters, hand-backs.
 *
 * <p>Reclaim and leases. The reader calls {@link #maintain} between reads. Every quarter of the
 * visibility timeout it runs {@code claim.lua} (XAUTOCLAIM, walking the cursor, COUNT a batch) to take
 * over entries idle longer than the visibility timeout: their consumer died, hung, or asked for a
 * delayed retry. Every third of the visibility timeout it extends the leases of the entries held
 * ({@code extend_lease.lua}, XCLAIM JUSTID on the ones still its own), so a slow but live handler, and
 * the messages queued behind it, are never robbed. After a reconnect or a failed read it first walks
 * its own pending entries ({@code claim.lua} in "own" mode): a lost reply left them there unseen.
 *
 * <p>Acks. One multi-id XACK per {@link #ACK_BATCH} ids or {@link #ACK_DELAY_MILLIS} ms, whichever
 * comes first (a round trip per message costs 7-14x in throughput); an entry stays held, its lease
 * extended, until its XACK is sent. An inbox band is trimmed to the inbox retention every
 * {@link StreamScripts#TRIM_EVERY} acks.
 */
final class StreamFeed implements Upkeep {

    static final int ACK_BATCH = 100;
    private static final long ACK_DELAY_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(StreamFeed.class);

    /** Where a feed hands what it reads: the running instance, which bounds how much it may read. */
    interface Intake {
        /** Queues an entry read or reclaimed; false if closing (the feed hands it back). */
        boolean enqueue(StreamFeed feed, StreamScripts.TakenEntry entry);

        /** Whether enough fits under prefetch to read again, and the queue is under its byte budget. */
        boolean wantsMore();

        /** About how many bytes one read or reclaim step may take: what is left of the queue's budget, at most a read's. */
        long readBytes();

        /** How many more entries fit under prefetch, at most a batch: what a read or a reclaim step may take. */
        int room();
    }

    private final StreamScripts scripts;
    private final ScheduledExecutorService timer;
    private final Intake intake;
    private final ConsumedStream stream;
    private final RedisLink<String, byte[]> readConnection;
    private final String consumer;
    private final DeliveryOptions delivery;
    private final Retention inboxRetention;
    private final long commandTimeoutMillis;
    private final long reclaimEveryNanos;
    private final long extendEveryNanos;
    /** Entries read and not settled yet, by entry id, with when they were read: the leases kept alive. */
    private final Map<String, Long> held = new ConcurrentHashMap<>();

    private final ConcurrentLinkedQueue<StreamScripts.HandledEntry> toAck = new ConcurrentLinkedQueue<>();
    private final AtomicInteger toAckCount = new AtomicInteger();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong ackedSinceTrim = new AtomicLong();
    private volatile CompletionStage<?> lastSettle = CompletableFuture.completedFuture(null);
    private volatile boolean recoverOwn;
    /** Reader thread only. */
    private String recoverCursor = "0-0";

    private String reclaimCursor = "0-0";
    private long nextReclaimNanos = System.nanoTime();
    private long nextExtendNanos = System.nanoTime();

    /**
     * @param readConnection the lane's connection, on which reclaim steps run
     * @param consumer       the lane's consumer name
     */
    StreamFeed(
            ConsumerContext context,
            Intake intake,
            ConsumedStream stream,
            RedisLink<String, byte[]> readConnection,
            String consumer,
            DeliveryOptions delivery) {
        this.scripts = context.scripts();
        this.timer = context.threads().timer();
        this.intake = intake;
        this.stream = stream;
        this.readConnection = readConnection;
        this.consumer = consumer;
        this.delivery = delivery;
        this.inboxRetention = context.options().consumer().inboxRetention();
        this.commandTimeoutMillis =
                context.options().connection().commandTimeout().toMillis();
        this.reclaimEveryNanos = delivery.visibilityTimeout().toNanos() / 4;
        this.extendEveryNanos = delivery.visibilityTimeout().toNanos() / 3;
    }

    ConsumedStream stream() {
        return stream;
    }

    String key() {
        return stream.key();
    }

    @Override
    public AgentId agent() {
        return stream.subscriber();
    }

    String consumer() {
        return consumer;
    }

    boolean wantsMore() {
        return intake.wantsMore();
    }

    int room() {
        return intake.room();
    }

    long readBytes() {
        return intake.readBytes();
    }

    /** Called by the reader thread with what a read or reclaim step took from this stream. */
    void take(StreamScripts.Taken taken) {
        taken.entries().forEach(this::take);
        taken.tooLarge().forEach(entry -> deadLetterTooLarge(entry.id(), entry.deliveries(), entry.bytes()));
    }

    /** Called by the reader thread for each entry read or reclaimed from this stream. */
    void take(StreamScripts.TakenEntry entry) {
        if (entry.bytes() > scripts.largestEntryBytes()) {
            deadLetterTooLarge(entry.id(), entry.deliveries(), entry.bytes()); // read whole by a blocking read
            return;
        }
        if (held.putIfAbsent(entry.id(), System.nanoTime()) != null) {
            return; // reclaimed from ourselves while still held: the claim just renewed the lease
        }
        if (!intake.enqueue(this, entry)) {
            held.remove(entry.id());
            handBack(List.of(entry.id())); // read in the instant the subscription began closing
        }
    }

    /** An entry larger than a reader may hold, which the scripts left pending under us unread: to dead letters. */
    private void deadLetterTooLarge(String entryId, int deliveries, long bytes) {
        log.warn(
                "entry {} of {} has {} bytes, more than the {} a reader takes (the payload limit and its"
                        + " envelope); moving it to dead letters unread",
                entryId,
                key(),
                bytes,
                scripts.largestEntryBytes());
        deadLetter(
                entryId,
                DeadLetterReason.TOO_LARGE,
                null,
                "the entry has " + bytes + " bytes; a reader takes at most " + scripts.largestEntryBytes(),
                deliveries);
    }

    /**
     * Runs the reclaim and lease extension that are due; called by the reader thread between reads.
     *
     * @return when this stream next needs maintenance, as a {@link System#nanoTime()} value
     */
    @Override
    public long maintain(long now) {
        if (now - nextExtendNanos >= 0) {
            extendHeldLeases(now);
            nextExtendNanos = now + extendEveryNanos;
        }
        if (intake.room() == 0) {
            // Full or closing: no reclaim now; the drain wakes the reader when room opens.
            return nextExtendNanos;
        }
        if (recoverOwn || now - nextReclaimNanos >= 0) {
            boolean walkedToEnd = reclaimOnce();
            nextReclaimNanos = walkedToEnd ? now + reclaimEveryNanos : now;
        }
        return Math.min(nextExtendNanos, nextReclaimNanos);
    }

    /** Asks the next maintenance to walk this consumer's own pending entries first. */
    void recoverOwnPending() {
        recoverOwn = true;
    }

    /** One claim step: this consumer's own pending entries while recovering, else entries idle past visibility. */
    private boolean reclaimOnce() {
        boolean ownOnly = recoverOwn;
        String cursor = ownOnly ? recoverCursor : reclaimCursor;
        // Reclaim takes whatever room there is, not only a full batch's: an instance kept busy by a
        // backlog must still pick up what a dead one left.
        int room = intake.room();
        if (room == 0) {
            return true; // began closing or filled up since maintain looked: claim.lua refuses a count of 0
        }
        StreamScripts.Claimed claimed = scripts.claim(
                readConnection,
                stream,
                consumer,
                ownOnly,
                cursor,
                delivery.visibilityTimeout(),
                room,
                intake.readBytes());
        if (claimed.deleted() > 0) {
            log.warn(
                    "{} pending entries of {} had been deleted or trimmed from the stream; removed from the PEL",
                    claimed.deleted(),
                    key());
        }
        take(claimed.taken());
        boolean done = "0-0".equals(claimed.cursor());
        if (ownOnly) {
            recoverCursor = claimed.cursor();
            recoverOwn = !done;
            return false; // go on with the idle walk at once
        }
        reclaimCursor = claimed.cursor();
        return done;
    }

    private void extendHeldLeases(long now) {
        long maxNanos = delivery.maxLeaseExtension().toNanos();
        List<String> ids = new ArrayList<>();
        held.forEach((id, readNanos) -> {
            if (now - readNanos < maxNanos) {
                ids.add(id);
            }
        });
        if (!ids.isEmpty()) {
            scripts.extendLeases(stream, consumer, ids).whenComplete((lost, failure) -> {
                if (failure != null) {
                    log.warn("could not extend {} leases on {}: {}", ids.size(), key(), failure.toString());
                } else {
                    // An id settled by this instance meanwhile (its XACK just went out) is not a loss.
                    List<String> robbed =
                            lost.stream().filter(held::containsKey).toList();
                    if (!robbed.isEmpty()) {
                        log.warn(
                                "{} entries of {} were reclaimed by another instance while {} held them: {}",
                                robbed.size(),
                                key(),
                                consumer(),
                                robbed);
                    }
                }
            });
        }
    }

    /**
     * Whether this consumer still holds {@code entryId} in the group's PEL, renewing its lease if so: a
     * message that waited here longer than the visibility timeout (its process was stopped, say) may
     * have been reclaimed and handled by another instance meanwhile, and must then not be handled here.
     */
    boolean stillHeld(String entryId) {
        List<String> lost = Await.result(
                scripts.extendLeases(stream, consumer, List.of(entryId)),
                commandTimeoutMillis,
                "check the lease of " + entryId + " in " + key());
        if (lost.isEmpty()) {
            return true;
        }
        held.remove(entryId);
        return false;
    }

    void extendLease(String entryId) {
        Await.result(
                scripts.extendLeases(stream, consumer, List.of(entryId)),
                commandTimeoutMillis,
                "extend lease of " + entryId + " in " + key());
    }

    // ---- settling ----

    /** Queues an ack for the next XACK: sent when a batch is full, or after {@link #ACK_DELAY_MILLIS}. */
    void ack(String entryId, Envelope envelope, int attempt) {
        toAck.add(new StreamScripts.HandledEntry(entryId, envelope));
        if (attempt > 1) {
            // It may have a failure record from an earlier attempt; rare, so not batched.
            scripts.forgetFailure(stream, entryId);
        }
        if (toAckCount.incrementAndGet() >= ACK_BATCH) {
            flushAcks();
        } else if (flushScheduled.compareAndSet(false, true)) {
            try {
                timer.schedule(
                        () -> {
                            flushScheduled.set(false);
                            flushAcks();
                        },
                        ACK_DELAY_MILLIS,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                flushScheduled.set(false);
                flushAcks(); // the bus is closing: no timer to wait for
            }
        }
    }

    void retryLater(String entryId, Duration delay, int attempt, String why) {
        long idleMillis = Math.max(0, delivery.visibilityTimeout().minus(delay).toMillis());
        settleEntry(scripts.retryLater(stream, consumer, entryId, idleMillis, attempt, why), entryId);
    }

    void deadLetter(String entryId, DeadLetterReason reason, String field, String detail, int attempts) {
        settleEntry(scripts.deadLetter(stream, entryId, reason, field, detail, consumer, attempts), entryId);
    }

    /** Gives back entries read but never started: pending with idle = visibility, so any instance reclaims them now. */
    void handBack(List<String> entryIds) {
        if (!entryIds.isEmpty()) {
            entryIds.forEach(held::remove);
            settle(
                    scripts.handBack(stream, consumer, entryIds, delivery.visibilityTimeout()),
                    entryIds.size() + " handed-back entries");
        }
    }

    void flushAcks() {
        List<StreamScripts.HandledEntry> entries = new ArrayList<>();
        StreamScripts.HandledEntry entry;
        while ((entry = toAck.poll()) != null) {
            entries.add(entry);
        }
        if (entries.isEmpty()) {
            return;
        }
        toAckCount.addAndGet(-entries.size());
        entries.forEach(handled -> held.remove(handled.entryId())); // acked now: no lease to keep
        settle(scripts.ack(stream, consumer, entries), entries.size() + " acked entries");
        trimNowAndThen(entries.size());
    }

    /** Completes after every settle step issued so far (they go in order on one connection). */
    CompletionStage<?> lastSettle() {
        return lastSettle;
    }

    CompletionStage<Long> release() {
        return scripts.releaseConsumer(stream, consumer);
    }

    /** Settles an entry otherwise than by ack: it stops being held, so no lease extension undoes a retry delay. */
    private void settleEntry(CompletionStage<?> step, String entryId) {
        held.remove(entryId);
        settle(step, entryId);
    }

    private void settle(CompletionStage<?> step, String what) {
        lastSettle = step.whenComplete((result, failure) -> {
            if (failure != null) {
                log.warn(
                        "could not settle {} of {}; it stays pending and is reclaimed later: {}",
                        what,
                        key(),
                        failure.toString());
            }
        });
    }

    /** Keeps an inbox band's handled entries bounded: a trim every {@link StreamScripts#TRIM_EVERY} acks. */
    private void trimNowAndThen(int acked) {
        if (!KeySchema.INBOX_GROUP.equals(stream.group())) {
            return; // a topic is trimmed by its publishers, with the topic's retention
        }
        long before = ackedSinceTrim.getAndAdd(acked);
        if (before / StreamScripts.TRIM_EVERY != (before + acked) / StreamScripts.TRIM_EVERY) {
            scripts.trim(key(), inboxRetention).whenComplete((removed, failure) -> {
                if (failure != null) {
                    log.warn("could not trim {}: {}", key(), failure.toString());
                }
            });
        }
    }

    @Override
    public String toString() {
        return stream + " as " + consumer;
    }
}
