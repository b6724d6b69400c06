package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.DeadLetterReason;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of an agent: the messages its {@link InboxReader} read for it, the handler
 * that runs them one at a time on the bus's handler pool, and how each delivery is settled.
 *
 * <p>Delivery is at least once, on a Redis Stream with one consumer group per inbox: an entry read
 * with {@code XREADGROUP} sits in the group's pending entries list (PEL) under this consumer until
 * it is settled, so a crash at any point loses nothing (a List with RPOP would lose the message a
 * dying consumer popped). Settling:
 * <ul>
 *   <li>handler returns: {@code XACK}, batched, one multi-id XACK per drained batch (at most
 *       {@link #ACK_BATCH} ids; a round trip per message costs 7-14x in throughput);</li>
 *   <li>handler throws, or asks {@code retryIn}: the entry stays pending with its idle time set so
 *       that reclaim delivers it again after the backoff ({@code retry_later.lua}); no second queue;</li>
 *   <li>last attempt failed, {@link NonRetryableException}, {@code deadLetter}, or an entry that is
 *       not a valid envelope: moved to {@code agent:{id}:dlq} and acked in one script.</li>
 * </ul>
 *
 * <p>Reclaim and leases. The reader calls {@link #maintain} between reads. Every quarter of the
 * visibility timeout it runs {@code claim.lua} (XAUTOCLAIM, walking the cursor, COUNT a batch)
 * to take over entries idle longer than the visibility timeout: their consumer died, hung, or asked
 * for a delayed retry. Their attempt is the PEL's delivery counter; past max attempts they go to
 * dead letters without reaching the handler. Every third of the visibility timeout it extends the
 * leases of the entries this instance holds ({@code extend_lease.lua}, XCLAIM JUSTID on the ones
 * still its own), so a slow but live handler, and the messages queued behind it, are never robbed.
 * After its read connection reconnects it first walks its own pending entries ({@code claim.lua}
 * in "own" mode): the reply of a blocking read lost with the old connection left them there unseen.
 *
 * <p>Concurrency. The reader thread calls {@link #accept} and {@link #maintain}; at most one drain
 * task at a time runs handlers ({@link #draining}), which keeps a subscription's messages in order
 * and its handler single-threaded. {@link #inFlight} counts read-but-unfinished messages; the reader
 * asks for more only while a full batch fits under prefetch, and the drain wakes it when room opens.
 */
final class InboxSubscription implements Subscription {

    static final int ACK_BATCH = 100;
    /**
     * An ack waits at most this long for others to share its XACK: fast handlers fill a batch well
     * within it, and the message before a slow (or hung) handler is acked anyway, on a timer.
     */
    private static final long ACK_DELAY_MILLIS = 5;
    private static final long MOVE_CHECK_MILLIS = 1_000;
    private static final Executor ACK_TIMER = CompletableFuture.delayedExecutor(ACK_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    private static final int MAX_DETAIL = 500;
    private static final Logger log = LoggerFactory.getLogger(InboxSubscription.class);
    private static final ThreadLocal<InboxSubscription> HANDLING = new ThreadLocal<>();

    private final RedisAgentBus bus;
    private final ConsumedStream stream;
    /** An agent's inbox (not a topic): it has a delayed set to move from and a retention to keep. */
    private final boolean isInbox;
    private final AgentId agent;
    private final String inbox;
    private final MessageHandler handler;
    private final DeliveryOptions delivery;
    private final InboxReader reader;
    private final int prefetch;
    private final int readCount;
    private final long reclaimEveryNanos;
    private final long extendEveryNanos;
    private final ConcurrentLinkedQueue<ReadEntry> queue = new ConcurrentLinkedQueue<>();
    /** Entries read and not yet handled, by entry id: the leases this instance keeps alive. */
    private final Map<String, ReadEntry> held = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Completes when closing and no handler runs any more. */
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    /** Completes when closing is done: settled, consumer released (or given up on). */
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Handled entries whose XACK is not sent yet; they stay held (leased) until it is. */
    private final ConcurrentLinkedQueue<String> toAck = new ConcurrentLinkedQueue<>();
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
    private long nextMoveNanos = System.nanoTime();

    InboxSubscription(RedisAgentBus bus, ConsumedStream stream, DeliveryOptions delivery, MessageHandler handler,
                      InboxReader reader) {
        this.bus = bus;
        this.stream = stream;
        this.isInbox = KeySchema.INBOX_GROUP.equals(stream.group());
        this.agent = stream.subscriber();
        this.inbox = stream.key();
        this.handler = handler;
        this.delivery = delivery;
        this.reader = reader;
        this.prefetch = bus.options().prefetch();
        this.readCount = Math.min(bus.options().readBatchSize(), prefetch);
        this.reclaimEveryNanos = delivery.visibilityTimeout().toNanos() / 4;
        this.extendEveryNanos = delivery.visibilityTimeout().toNanos() / 3;
    }

    @Override
    public AgentId agent() {
        return agent;
    }

    @Override
    public String consumer() {
        return reader.consumer();
    }

    String inbox() {
        return inbox;
    }

    ConsumedStream stream() {
        return stream;
    }

    int readCount() {
        return readCount;
    }

    boolean wantsMore() {
        return !closing.get() && prefetch - inFlight.get() >= readCount;
    }

    /** An entry as read, not yet decoded: decoding happens on the handler thread, off the reader's path. */
    private record ReadEntry(String id, Map<String, byte[]> body, int deliveries, long readNanos) {
    }

    /** Called by the reader thread for each entry read or reclaimed for this subscription. */
    void accept(String entryId, Map<String, byte[]> body, int deliveries) {
        if (held.containsKey(entryId)) {
            return; // reclaimed from ourselves while still held: the claim just renewed the lease
        }
        if (closing.get()) {
            handBack(List.of(entryId)); // read in the instant the subscription began closing
            return;
        }
        ReadEntry entry = new ReadEntry(entryId, body, deliveries, System.nanoTime());
        held.put(entryId, entry);
        inFlight.incrementAndGet();
        queue.add(entry);
        scheduleDrain();
    }

    /** Decodes an entry and hands it to the handler, or to dead letters if it cannot be handled. */
    private void process(ReadEntry entry) {
        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decode(entry.body(), bus.options().maxPayloadBytes());
        if (decoded instanceof EnvelopeCodec.Malformed malformed) {
            log.warn("entry {} of {} is not a valid envelope ({} {}: {}); moving it to dead letters",
                    entry.id(), inbox, malformed.reason().code(), malformed.field(), malformed.detail());
            settleEntry(bus.deadLetter(stream, entry.id(), malformed.reason(), malformed.field(), malformed.detail(),
                    consumer(), entry.deliveries()), entry.id());
            return;
        }
        Envelope envelope = ((EnvelopeCodec.Valid) decoded).envelope();
        if (entry.deliveries() > delivery.maxAttempts()) {
            String detail = "delivered " + entry.deliveries() + " times without an outcome (max " + delivery.maxAttempts()
                    + "): the consumers holding it died or their leases expired";
            log.warn("message {} of {} {}; moving it to dead letters", envelope.messageId(), inbox, detail);
            settleEntry(bus.deadLetter(stream, entry.id(), DeadLetterReason.MAX_ATTEMPTS, null, detail, consumer(),
                    entry.deliveries()), entry.id());
            return;
        }
        if (envelope.isExpiredAt(Instant.now())) {
            expire(entry, envelope);
            return;
        }
        if (bus.takeReply(envelope)) {
            ack(entry.id()); // a reply to a request of this bus: it completed the request (or came late)
            return;
        }
        handle(new InboxDelivery(this, envelope, entry.deliveries(), entry.id(), entry.readNanos()));
    }

    private void expire(ReadEntry entry, Envelope envelope) {
        boolean deadLetter = delivery.onExpiry() == DeliveryOptions.OnExpiry.DEAD_LETTER;
        if (deadLetter) {
            settleEntry(bus.deadLetter(stream, entry.id(), DeadLetterReason.EXPIRED, EnvelopeCodec.EXPIRES_AT,
                    "expired at " + envelope.expiresAt().orElseThrow(), consumer(), entry.deliveries()), entry.id());
        } else {
            ack(entry.id());
        }
        bus.expired(envelope, deadLetter);
    }

    /**
     * Runs the reclaim and lease extension that are due; called by the reader thread between reads.
     *
     * @return when this subscription next needs maintenance, as a {@link System#nanoTime()} value
     */
    long maintain(long now) {
        if (now - nextExtendNanos >= 0) {
            extendHeldLeases(now);
            nextExtendNanos = now + extendEveryNanos;
        }
        if (isInbox && now - nextMoveNanos >= 0) {
            nextMoveNanos = now + moveDueDelayed();
        }
        if (!wantsMore()) {
            // Full or closing: no reclaim now; the drain wakes the reader when room opens.
            return Math.min(nextExtendNanos, nextMoveNanos);
        }
        if (recoverOwn || now - nextReclaimNanos >= 0) {
            boolean walkedToEnd = reclaimOnce();
            nextReclaimNanos = walkedToEnd ? now + reclaimEveryNanos : now;
        }
        return Math.min(Math.min(nextExtendNanos, nextReclaimNanos), isInbox ? nextMoveNanos : Long.MAX_VALUE);
    }

    /** Moves due delayed messages into the inbox; returns nanoseconds until it should run again. */
    private long moveDueDelayed() {
        long waitMillis = RedisAgentBus.await(bus.moveDue(agent), bus.options().commandTimeout().toMillis(),
                "move due delayed messages of " + agent);
        // Look again at least every second: another process may schedule a message due sooner.
        long nextMillis = waitMillis < 0 ? MOVE_CHECK_MILLIS : Math.min(waitMillis, MOVE_CHECK_MILLIS);
        return TimeUnit.MILLISECONDS.toNanos(nextMillis);
    }

    /** Asks the next maintenance to walk this consumer's own pending entries first (after a reconnect). */
    void recoverOwnPending() {
        recoverOwn = true;
    }

    /** One claim step: this consumer's own pending entries while recovering, else entries idle past visibility. */
    private boolean reclaimOnce() {
        boolean ownOnly = recoverOwn;
        String cursor = ownOnly ? recoverCursor : reclaimCursor;
        InboxReader.Claimed claimed = reader.claim(this, ownOnly, cursor, delivery.visibilityTimeout(), readCount);
        if (claimed.deleted() > 0) {
            log.warn("{} pending entries of {} had been deleted or trimmed from the stream; removed from the PEL",
                    claimed.deleted(), inbox);
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
        for (ReadEntry entry : held.values()) {
            if (now - entry.readNanos() < maxNanos) {
                ids.add(entry.id());
            }
        }
        if (!ids.isEmpty()) {
            bus.extendLeases(stream, consumer(), ids).whenComplete((lost, failure) -> {
                if (failure != null) {
                    log.warn("could not extend {} leases on {}: {}", ids.size(), inbox, failure.toString());
                } else {
                    // An id settled by this instance meanwhile (its XACK just went out) is not a loss.
                    List<String> robbed = lost.stream().filter(held::containsKey).toList();
                    if (!robbed.isEmpty()) {
                        log.warn("{} entries of {} were reclaimed by another instance while {} held them: {}",
                                robbed.size(), inbox, consumer(), robbed);
                    }
                }
            });
        }
    }

    CompletionStage<SendReceipt> reply(Envelope reply) {
        return bus.send(reply);
    }

    void extendLease(String entryId) {
        RedisAgentBus.await(bus.extendLeases(stream, consumer(), List.of(entryId)),
                bus.options().commandTimeout().toMillis(), "extend lease of " + entryId + " in " + inbox);
    }

    @Override
    public void close() {
        beginClose();
        if (HANDLING.get() == this) {
            return; // the running delivery is settled when the handler returns
        }
        awaitClosed();
    }

    /**
     * Stops reading and hands the messages read but not started back at once: they stay pending
     * with their idle time set to the visibility timeout, so another instance reclaims them with its
     * next XAUTOCLAIM instead of after a full timeout. The running handler finishes; its lease keeps
     * being extended until then.
     */
    void beginClose() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        List<String> notStarted = new ArrayList<>();
        ReadEntry next;
        while ((next = queue.poll()) != null) {
            held.remove(next.id());
            inFlight.decrementAndGet();
            notStarted.add(next.id());
        }
        handBack(notStarted);
        idle.thenCompose(done -> lastSettle)
                .thenCompose(settled -> bus.releaseConsumer(stream, consumer()))
                .whenComplete((released, failure) -> closed.complete(null));
        checkIdle();
    }

    /** Waits, within the shutdown timeout, for the running handler and the last settle steps. */
    void awaitClosed() {
        long timeout = bus.options().shutdownTimeout().toMillis();
        RedisAgentBus.awaitQuietly(idle, timeout);
        if (!idle.isDone()) {
            log.warn("{} handler of {} did not finish within {} ms; its message stays pending and is "
                    + "reclaimed by another instance after the visibility timeout", agent, consumer(), timeout);
            stopMaintenance();
            return;
        }
        RedisAgentBus.awaitQuietly(closed, 2 * bus.options().commandTimeout().toMillis());
    }

    private void stopMaintenance() {
        reader.remove(this);
        bus.removed(this);
    }

    private void handBack(List<String> entryIds) {
        if (!entryIds.isEmpty()) {
            settle(bus.handBack(stream, consumer(), entryIds, delivery.visibilityTimeout()), entryIds.size() + " handed-back entries");
        }
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) {
            try {
                bus.handlerPool().execute(this::drain);
            } catch (RejectedExecutionException e) {
                draining.set(false); // the bus is closing; the messages stay pending
            }
        }
    }

    private void drain() {
        HANDLING.set(this);
        try {
            ReadEntry next;
            while ((next = queue.poll()) != null) {
                try {
                    process(next);
                } finally {
                    int left = inFlight.decrementAndGet();
                    if (prefetch - left == readCount) {
                        reader.wakeUp(); // room for a full batch again
                    }
                }
            }
        } finally {
            flushAcks();
            HANDLING.remove();
            draining.set(false);
            if (!queue.isEmpty()) {
                scheduleDrain(); // entries that arrived after the last poll
            }
            checkIdle();
        }
    }

    private void handle(InboxDelivery current) {
        try {
            handler.handle(current);
        } catch (NonRetryableException e) {
            deadLetter(current, DeadLetterReason.NON_RETRYABLE, describe(e));
            return;
        } catch (Exception | LinkageError | AssertionError e) {
            // Expected now and then: retried, and dead-lettered (with a WARN) after the last attempt.
            log.info("handler of {} failed on message {} (entry {}, attempt {} of {}): {}", agent,
                    current.envelope().messageId(), current.entryId(), current.attempt(), delivery.maxAttempts(), e.toString());
            log.debug("handler failure of message {}", current.envelope().messageId(), e);
            retryOrGiveUp(current, delivery.backoff().delayAfter(current.attempt()), describe(e));
            return;
        }
        if (current.rejectReason() != null) {
            deadLetter(current, DeadLetterReason.REJECTED, truncate(current.rejectReason()));
        } else if (current.retryDelay() != null) {
            retryOrGiveUp(current, current.retryDelay(), "handler asked to retry in " + current.retryDelay());
        } else {
            ack(current.entryId());
            if (current.attempt() > 1) {
                // It may have a failure record from an earlier attempt; rare, so not batched.
                bus.commands().hdel(stream.failures(), current.entryId());
            }
        }
    }

    private void retryOrGiveUp(InboxDelivery current, Duration delay, String detail) {
        if (current.attempt() >= delivery.maxAttempts()) {
            deadLetter(current, DeadLetterReason.MAX_ATTEMPTS,
                    "attempt " + current.attempt() + " of " + delivery.maxAttempts() + " failed: " + detail);
            return;
        }
        long idleMillis = Math.max(0, delivery.visibilityTimeout().minus(delay).toMillis());
        settleEntry(bus.retryLater(stream, consumer(), current.entryId(), idleMillis), current.entryId());
    }

    private void deadLetter(InboxDelivery current, DeadLetterReason reason, String detail) {
        log.warn("message {} of {} goes to dead letters after attempt {}: {} {}", current.envelope().messageId(),
                inbox, current.attempt(), reason.code(), detail);
        settleEntry(bus.deadLetter(stream, current.entryId(), reason, null, detail, consumer(), current.attempt()),
                current.entryId());
    }

    /** Queues an ack for the next XACK: sent when a batch is full, or after {@link #ACK_DELAY_MILLIS}. */
    private void ack(String entryId) {
        toAck.add(entryId);
        if (toAckCount.incrementAndGet() >= ACK_BATCH) {
            flushAcks();
        } else if (flushScheduled.compareAndSet(false, true)) {
            ACK_TIMER.execute(() -> {
                flushScheduled.set(false);
                flushAcks();
            });
        }
    }

    /** Settles an entry otherwise than by ack: it stops being held, so no lease extension undoes a retry delay. */
    private void settleEntry(CompletionStage<?> step, String entryId) {
        held.remove(entryId);
        settle(step, entryId);
    }

    private void settle(CompletionStage<?> step, String entryId) {
        lastSettle = step.whenComplete((result, failure) -> {
            if (failure != null) {
                log.warn("could not settle entry {} of {}; it stays pending and is reclaimed later: {}",
                        entryId, inbox, failure.toString());
            }
        });
    }

    private void flushAcks() {
        List<String> ids = new ArrayList<>();
        String id;
        while ((id = toAck.poll()) != null) {
            ids.add(id);
        }
        if (ids.isEmpty()) {
            return;
        }
        toAckCount.addAndGet(-ids.size());
        ids.forEach(held::remove); // acked now: no lease to keep
        settle(bus.commands().xack(inbox, stream.group(), ids.toArray(String[]::new)), ids.size() + " acked entries");
        trimInboxNowAndThen(ids.size());
    }

    /** Keeps an inbox's handled entries bounded: a trim every {@link Retention#TRIM_EVERY} acks. */
    private void trimInboxNowAndThen(int acked) {
        if (!isInbox) {
            return; // a topic is trimmed by its publishers, with the topic's retention
        }
        long before = ackedSinceTrim.getAndAdd(acked);
        if (before / Retention.TRIM_EVERY != (before + acked) / Retention.TRIM_EVERY) {
            bus.trim(inbox, bus.options().inboxRetention()).whenComplete((removed, failure) -> {
                if (failure != null) {
                    log.warn("could not trim {}: {}", inbox, failure.toString());
                }
            });
        }
    }

    private void checkIdle() {
        if (closing.get() && inFlight.get() == 0 && !draining.get() && idle.complete(null)) {
            stopMaintenance();
        }
    }

    private static String describe(Throwable failure) {
        return truncate(failure.getClass().getName() + ": " + failure.getMessage());
    }

    private static String truncate(String text) {
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
    }

    @Override
    public String toString() {
        return "Subscription{" + agent + " as " + consumer() + '}';
    }
}
