package io.agentbus.redis;

import io.agentbus.DeadLetterReason;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.Retention;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream of a subscription ({@link InboxSubscription}): an inbox band, or a durable topic. It
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
 * {@link Retention#TRIM_EVERY} acks.
 */
final class StreamFeed {

    static final int ACK_BATCH = 100;
    private static final long ACK_DELAY_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(StreamFeed.class);

    private final RedisAgentBus bus;
    private final InboxSubscription subscription;
    private final ConsumedStream stream;
    private final InboxReader reader;
    private final DeliveryOptions delivery;
    private final long reclaimEveryNanos;
    private final long extendEveryNanos;
    /** Entries read and not settled yet, by entry id, with when they were read: the leases kept alive. */
    private final Map<String, Long> held = new ConcurrentHashMap<>();

    private final ConcurrentLinkedQueue<HandledEntry> toAck = new ConcurrentLinkedQueue<>();
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

    StreamFeed(
            RedisAgentBus bus,
            InboxSubscription subscription,
            ConsumedStream stream,
            InboxReader reader,
            DeliveryOptions delivery) {
        this.bus = bus;
        this.subscription = subscription;
        this.stream = stream;
        this.reader = reader;
        this.delivery = delivery;
        this.reclaimEveryNanos = delivery.visibilityTimeout().toNanos() / 4;
        this.extendEveryNanos = delivery.visibilityTimeout().toNanos() / 3;
    }

    ConsumedStream stream() {
        return stream;
    }

    String inbox() {
        return stream.key();
    }

    String consumer() {
        return reader.consumer();
    }

    boolean wantsMore() {
        return subscription.wantsMore();
    }

    int readCount() {
        return subscription.readCount();
    }

    /** Called by the reader thread for each entry read or reclaimed from this stream. */
    void accept(String entryId, Map<String, byte[]> body, int deliveries) {
        if (held.putIfAbsent(entryId, System.nanoTime()) != null) {
            return; // reclaimed from ourselves while still held: the claim just renewed the lease
        }
        if (!subscription.enqueue(this, entryId, body, deliveries)) {
            held.remove(entryId);
            handBack(List.of(entryId)); // read in the instant the subscription began closing
        }
    }

    /**
     * Runs the reclaim and lease extension that are due; called by the reader thread between reads.
     *
     * @return when this stream next needs maintenance, as a {@link System#nanoTime()} value
     */
    long maintain(long now) {
        if (now - nextExtendNanos >= 0) {
            extendHeldLeases(now);
            nextExtendNanos = now + extendEveryNanos;
        }
        long subscriptionDue = subscription.maintain(this, now);
        if (subscription.room() == 0) {
            // Full or closing: no reclaim now; the drain wakes the reader when room opens.
            return Math.min(nextExtendNanos, subscriptionDue);
        }
        if (recoverOwn || now - nextReclaimNanos >= 0) {
            boolean walkedToEnd = reclaimOnce();
            nextReclaimNanos = walkedToEnd ? now + reclaimEveryNanos : now;
        }
        return Math.min(Math.min(nextExtendNanos, nextReclaimNanos), subscriptionDue);
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
        InboxReader.Claimed claimed =
                reader.claim(this, ownOnly, cursor, delivery.visibilityTimeout(), subscription.room());
        if (claimed.deleted() > 0) {
            log.warn(
                    "{} pending entries of {} had been deleted or trimmed from the stream; removed from the PEL",
                    claimed.deleted(),
                    inbox());
        }
        claimed.entries().forEach(entry -> accept(entry.id(), entry.body(), entry.deliveries()));
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
            bus.extendLeases(stream, consumer(), ids).whenComplete((lost, failure) -> {
                if (failure != null) {
                    log.warn("could not extend {} leases on {}: {}", ids.size(), inbox(), failure.toString());
                } else {
                    // An id settled by this instance meanwhile (its XACK just went out) is not a loss.
                    List<String> robbed =
                            lost.stream().filter(held::containsKey).toList();
                    if (!robbed.isEmpty()) {
                        log.warn(
                                "{} entries of {} were reclaimed by another instance while {} held them: {}",
                                robbed.size(),
                                inbox(),
                                consumer(),
                                robbed);
                    }
                }
            });
        }
    }

    void extendLease(String entryId) {
        RedisAgentBus.await(
                bus.extendLeases(stream, consumer(), List.of(entryId)),
                bus.options().commandTimeout().toMillis(),
                "extend lease of " + entryId + " in " + inbox());
    }

    // ---- settling ----

    /** Queues an ack for the next XACK: sent when a batch is full, or after {@link #ACK_DELAY_MILLIS}. */
    void ack(String entryId, Envelope envelope, int attempt) {
        toAck.add(new HandledEntry(entryId, envelope));
        if (attempt > 1) {
            // It may have a failure record from an earlier attempt; rare, so not batched.
            bus.commands().hdel(stream.failures(), entryId);
        }
        if (toAckCount.incrementAndGet() >= ACK_BATCH) {
            flushAcks();
        } else if (flushScheduled.compareAndSet(false, true)) {
            try {
                bus.timer()
                        .schedule(
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
        settleEntry(bus.retryLater(stream, consumer(), entryId, idleMillis, attempt, why), entryId);
    }

    void deadLetter(String entryId, DeadLetterReason reason, String field, String detail, int attempts) {
        settleEntry(bus.deadLetter(stream, entryId, reason, field, detail, consumer(), attempts), entryId);
    }

    /** Gives back entries read but never started: pending with idle = visibility, so any instance reclaims them now. */
    void handBack(List<String> entryIds) {
        if (!entryIds.isEmpty()) {
            entryIds.forEach(held::remove);
            settle(
                    bus.handBack(stream, consumer(), entryIds, delivery.visibilityTimeout()),
                    entryIds.size() + " handed-back entries");
        }
    }

    void flushAcks() {
        List<HandledEntry> entries = new ArrayList<>();
        HandledEntry entry;
        while ((entry = toAck.poll()) != null) {
            entries.add(entry);
        }
        if (entries.isEmpty()) {
            return;
        }
        toAckCount.addAndGet(-entries.size());
        entries.forEach(handled -> held.remove(handled.entryId())); // acked now: no lease to keep
        settle(bus.ack(stream, consumer(), entries), entries.size() + " acked entries");
        trimNowAndThen(entries.size());
    }

    /** An entry to acknowledge, with the envelope it held: its audit record is written from it. */
    record HandledEntry(String entryId, Envelope envelope) {}

    /** Completes after every settle step issued so far (they go in order on one connection). */
    CompletionStage<?> lastSettle() {
        return lastSettle;
    }

    CompletionStage<Long> release() {
        return bus.releaseConsumer(stream, consumer());
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
                        inbox(),
                        failure.toString());
            }
        });
    }

    /** Keeps an inbox band's handled entries bounded: a trim every {@link Retention#TRIM_EVERY} acks. */
    private void trimNowAndThen(int acked) {
        if (!KeySchema.INBOX_GROUP.equals(stream.group())) {
            return; // a topic is trimmed by its publishers, with the topic's retention
        }
        long before = ackedSinceTrim.getAndAdd(acked);
        if (before / Retention.TRIM_EVERY != (before + acked) / Retention.TRIM_EVERY) {
            bus.trim(inbox(), bus.options().inboxRetention()).whenComplete((removed, failure) -> {
                if (failure != null) {
                    log.warn("could not trim {}: {}", inbox(), failure.toString());
                }
            });
        }
    }

    @Override
    public String toString() {
        return stream + " as " + consumer();
    }
}
