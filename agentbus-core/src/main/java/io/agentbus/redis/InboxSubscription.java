package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.DeadLetterReason;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.WireFields;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of an agent (or of a topic's subscriber group): the messages its
 * {@link StreamFeed}s read, the handler that runs them one at a time on the bus's handler pool, and
 * the outcome of each.
 *
 * <p>Delivery is at least once, on Redis Streams with a consumer group: an entry read with
 * {@code XREADGROUP} sits in the group's pending entries list (PEL) under this consumer until it is
 * settled, so a crash at any point loses nothing (a List with RPOP would lose the message a dying
 * consumer popped). A handler that returns is acked; one that throws, or asks {@code retryIn}, is
 * retried after the backoff (the entry waits in the PEL with its idle time set, no second queue);
 * the last attempt, {@link NonRetryableException}, {@code deadLetter}, an expired message and an
 * entry that is not a valid envelope go to dead letters, each in one script with its ack.
 *
 * <p>Priorities. An inbox has three band streams ({@link PriorityBand}); the instance's queue is
 * ordered by band, then by arrival, so what was read from a higher band is handled first and the
 * order within a band (per sender, within a priority) is the stream's.
 *
 * <p>Concurrency. The reader thread calls {@link #enqueue} (through a feed) and {@link #maintain}; at
 * most one drain task at a time runs handlers ({@link #draining}), which keeps the handler
 * single-threaded. {@link #inFlight} counts read-but-unfinished messages; the reader asks for more
 * only while a full batch fits under prefetch, and the drain wakes it when room opens.
 */
final class InboxSubscription implements Subscription {

    private static final long MOVE_CHECK_MILLIS = 1_000;
    private static final int MAX_DETAIL = 500;
    private static final Logger log = LoggerFactory.getLogger(InboxSubscription.class);
    private static final ThreadLocal<InboxSubscription> HANDLING = new ThreadLocal<>();

    private final RedisAgentBus bus;
    private final AgentId agent;
    private final MessageHandler handler;
    private final DeliveryOptions delivery;
    private final InboxReader reader;
    /** Fixed but for a swarm's receiver, which gains a stream per new sender ({@link #addStream}). */
    private final List<StreamFeed> feeds = new CopyOnWriteArrayList<>();
    /** An agent's inbox (not a topic): it has a delayed set to move messages from. */
    private final boolean isInbox;

    private final int prefetch;
    private final int readCount;
    private final AtomicLong arrivals = new AtomicLong();
    private final PriorityBlockingQueue<ReadEntry> queue = new PriorityBlockingQueue<>(
            64,
            Comparator.comparingInt((ReadEntry entry) -> -entry.feed().stream().rank())
                    .thenComparingLong(ReadEntry::arrival));
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Completes when closing and no handler runs any more. */
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    /** Completes when closing is done: settled, consumer released (or given up on). */
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Reader thread only. */
    private long nextMoveNanos = System.nanoTime();

    private long nextHeartbeatNanos = System.nanoTime();

    /** An entry as read, not yet decoded: decoding happens on the handler thread, off the reader's path. */
    private record ReadEntry(
            StreamFeed feed, String id, Map<String, byte[]> body, int deliveries, long readNanos, long arrival) {}

    InboxSubscription(
            RedisAgentBus bus,
            AgentId agent,
            List<ConsumedStream> streams,
            DeliveryOptions delivery,
            MessageHandler handler,
            InboxReader reader) {
        this.bus = bus;
        this.agent = agent;
        this.handler = handler;
        this.delivery = delivery;
        this.reader = reader;
        this.isInbox = KeySchema.INBOX_GROUP.equals(reader.group());
        this.prefetch = bus.options().prefetch();
        this.readCount = Math.min(bus.options().readBatchSize(), prefetch);
        for (ConsumedStream stream : streams) {
            feeds.add(new StreamFeed(bus, this, stream, reader, delivery));
        }
    }

    /**
     * Adds a stream to this running instance, read from its group's first entry: the messages of a
     * sender that the swarm's receiver found after it started. Nothing once closing began.
     */
    synchronized void addStream(ConsumedStream stream) {
        if (closing.get()) {
            return;
        }
        bus.ensureConsumer(stream, reader.consumer());
        StreamFeed feed = new StreamFeed(bus, this, stream, reader, delivery);
        feeds.add(feed);
        reader.add(feed);
    }

    @Override
    public AgentId agent() {
        return agent;
    }

    @Override
    public String consumer() {
        return reader.consumer();
    }

    List<StreamFeed> feeds() {
        return feeds;
    }

    boolean isClosing() {
        return closing.get();
    }

    boolean isInboxOf(AgentId candidate) {
        return isInbox && agent.equals(candidate);
    }

    int readCount() {
        return readCount;
    }

    /** Whether a full read batch fits under prefetch: reads ask for one only then. */
    boolean wantsMore() {
        return !closing.get() && prefetch - inFlight.get() >= readCount;
    }

    /** How many more entries fit under prefetch, at most a batch: what a reclaim step may take. */
    int room() {
        return closing.get() ? 0 : Math.max(0, Math.min(readCount, prefetch - inFlight.get()));
    }

    /** Queues an entry a feed read; false if the subscription is closing (the feed hands it back). */
    boolean enqueue(StreamFeed feed, String entryId, Map<String, byte[]> body, int deliveries) {
        if (closing.get()) {
            return false;
        }
        inFlight.incrementAndGet();
        queue.add(new ReadEntry(feed, entryId, body, deliveries, System.nanoTime(), arrivals.incrementAndGet()));
        scheduleDrain();
        return true;
    }

    /**
     * The instance's own maintenance, run through its first feed: the presence heartbeat and moving
     * due delayed messages of an inbox. Returns when it is next due, as a {@link System#nanoTime()} value.
     */
    long maintain(StreamFeed feed, long now) {
        if (!isInbox || feed != feeds.get(0)) {
            return Long.MAX_VALUE;
        }
        if (now - nextHeartbeatNanos >= 0 && !closing.get()) {
            bus.presence().heartbeat(agent, consumer());
            nextHeartbeatNanos = now + bus.options().presenceHeartbeat().toNanos();
        }
        if (now - nextMoveNanos >= 0) {
            long waitMillis = RedisAgentBus.await(
                    bus.moveDue(agent),
                    bus.options().commandTimeout().toMillis(),
                    "move due delayed messages of " + agent);
            // Look again at least every second: another process may schedule a message due sooner.
            long nextMillis = waitMillis < 0 ? MOVE_CHECK_MILLIS : Math.min(waitMillis, MOVE_CHECK_MILLIS);
            nextMoveNanos = now + TimeUnit.MILLISECONDS.toNanos(nextMillis);
        }
        return Math.min(nextMoveNanos, nextHeartbeatNanos);
    }

    CompletionStage<SendReceipt> reply(Envelope reply) {
        return bus.send(reply);
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
        synchronized (this) { // a stream being added is added whole, before, or not at all
            if (!closing.compareAndSet(false, true)) {
                return;
            }
        }
        Map<StreamFeed, List<String>> notStarted = new LinkedHashMap<>();
        ReadEntry next;
        while ((next = queue.poll()) != null) {
            inFlight.decrementAndGet();
            notStarted.computeIfAbsent(next.feed(), feed -> new ArrayList<>()).add(next.id());
        }
        notStarted.forEach(StreamFeed::handBack);
        idle.thenCompose(done -> CompletableFuture.allOf(feeds.stream()
                        .map(feed -> feed.lastSettle().toCompletableFuture().exceptionally(failure -> null))
                        .toArray(CompletableFuture[]::new)))
                .thenCompose(settled -> CompletableFuture.allOf(feeds.stream()
                        .map(feed -> feed.release().toCompletableFuture())
                        .toArray(CompletableFuture[]::new)))
                .thenCompose(released ->
                        isInbox ? bus.presence().leave(agent, consumer()) : CompletableFuture.completedFuture(null))
                .whenComplete((released, failure) -> closed.complete(null));
        checkIdle();
    }

    /** Waits, within the shutdown timeout, for the running handler and the last settle steps. */
    void awaitClosed() {
        long timeout = bus.options().shutdownTimeout().toMillis();
        RedisAgentBus.awaitQuietly(idle, timeout);
        if (!idle.isDone()) {
            log.warn(
                    "{} handler of {} did not finish within {} ms; its message stays pending and is "
                            + "reclaimed by another instance after the visibility timeout",
                    agent,
                    consumer(),
                    timeout);
            stopMaintenance();
            return;
        }
        RedisAgentBus.awaitQuietly(closed, 2 * bus.options().commandTimeout().toMillis());
    }

    private void stopMaintenance() {
        feeds.forEach(reader::remove);
        bus.removed(this);
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
                    released();
                }
            }
        } finally {
            feeds.forEach(StreamFeed::flushAcks);
            HANDLING.remove();
            draining.set(false);
            if (!queue.isEmpty()) {
                scheduleDrain(); // entries that arrived after the last poll
            }
            checkIdle();
        }
    }

    /** Decodes an entry and hands it to the handler, or to dead letters if it cannot be handled. */
    private void process(ReadEntry entry) {
        StreamFeed feed = entry.feed();
        EnvelopeCodec.Decoded decoded =
                EnvelopeCodec.decode(entry.body(), bus.options().maxPayloadBytes());
        if (decoded instanceof EnvelopeCodec.Malformed malformed) {
            log.warn(
                    "entry {} of {} is not a valid envelope ({} {}: {}); moving it to dead letters",
                    entry.id(),
                    feed.inbox(),
                    malformed.reason().code(),
                    malformed.field(),
                    malformed.detail());
            feed.deadLetter(entry.id(), malformed.reason(), malformed.field(), malformed.detail(), entry.deliveries());
            return;
        }
        Envelope envelope = ((EnvelopeCodec.Valid) decoded).envelope();
        if (entry.deliveries() > delivery.maxAttempts()) {
            String detail = "delivered " + entry.deliveries() + " times without an outcome (max "
                    + delivery.maxAttempts() + "): the consumers holding it died or their leases expired";
            log.warn("message {} of {} {}; moving it to dead letters", envelope.messageId(), feed.inbox(), detail);
            feed.deadLetter(entry.id(), DeadLetterReason.MAX_ATTEMPTS, null, detail, entry.deliveries());
            return;
        }
        if (envelope.isExpiredAt(Instant.now())) {
            boolean deadLetter = delivery.onExpiry() == DeliveryOptions.OnExpiry.DEAD_LETTER;
            if (deadLetter) {
                feed.deadLetter(
                        entry.id(),
                        DeadLetterReason.EXPIRED,
                        WireFields.EXPIRES_AT,
                        "expired at " + envelope.expiresAt().orElseThrow(),
                        entry.deliveries());
            } else {
                feed.ack(entry.id(), envelope, entry.deliveries());
            }
            bus.expired(agent, envelope, deadLetter);
            return;
        }
        if (bus.takeReply(envelope)) {
            feed.ack(
                    entry.id(),
                    envelope,
                    entry.deliveries()); // a reply to a request of this bus: it completed it (or came late)
            return;
        }
        handle(new InboxDelivery(this, feed, envelope, entry.deliveries(), entry.id(), entry.readNanos()));
    }

    private void handle(InboxDelivery current) {
        StreamFeed feed = current.feed();
        bus.metrics().received(agent, current.envelope());
        long started = System.nanoTime();
        Tracing.Handling traced = bus.tracing().handling(agent, current.envelope());
        try {
            handler.handle(current);
        } catch (NonRetryableException e) {
            traced.failed(e);
            deadLetter(current, DeadLetterReason.NON_RETRYABLE, describe(e));
            return;
        } catch (Exception | LinkageError | AssertionError e) {
            traced.failed(e);
            // Expected now and then: retried, and dead-lettered (with a WARN) after the last attempt.
            log.info(
                    "handler of {} failed on message {} (entry {}, attempt {} of {}): {}",
                    agent,
                    current.envelope().messageId(),
                    current.entryId(),
                    current.attempt(),
                    delivery.maxAttempts(),
                    e.toString());
            log.debug("handler failure of message {}", current.envelope().messageId(), e);
            retryOrGiveUp(current, delivery.backoff().delayAfter(current.attempt()), describe(e));
            return;
        } finally {
            traced.close();
            bus.metrics().processed(agent, System.nanoTime() - started);
        }
        if (current.rejectReason() != null) {
            deadLetter(current, DeadLetterReason.REJECTED, truncate(current.rejectReason()));
        } else if (current.ackWhen() != null) {
            settleWhenDone(current);
        } else if (current.retryDelay() != null) {
            retryOrGiveUp(current, current.retryDelay(), "handler asked to retry in " + current.retryDelay());
        } else {
            feed.ack(current.entryId(), current.envelope(), current.attempt());
        }
    }

    /**
     * Acks {@code current} when its {@link InboxDelivery#ackWhen()} work completes, or retries it if the
     * work fails. Until then it counts as in flight, so prefetch and a closing instance wait for it.
     */
    private void settleWhenDone(InboxDelivery current) {
        inFlight.incrementAndGet();
        current.ackWhen().whenComplete((done, failure) -> {
            try {
                if (failure == null) {
                    current.feed().ack(current.entryId(), current.envelope(), current.attempt());
                } else {
                    log.info(
                            "work of {} on message {} failed (attempt {} of {}): {}",
                            agent,
                            current.envelope().messageId(),
                            current.attempt(),
                            delivery.maxAttempts(),
                            failure.toString());
                    retryOrGiveUp(current, delivery.backoff().delayAfter(current.attempt()), describe(failure));
                }
            } finally {
                released();
                checkIdle();
            }
        });
    }

    /** One message fewer in flight; wakes the reader when a full batch fits again. */
    private void released() {
        int left = inFlight.decrementAndGet();
        if (prefetch - left == readCount) {
            reader.wakeUp();
        }
    }

    private void retryOrGiveUp(InboxDelivery current, Duration delay, String detail) {
        if (current.attempt() >= delivery.maxAttempts()) {
            deadLetter(
                    current,
                    DeadLetterReason.MAX_ATTEMPTS,
                    "attempt " + current.attempt() + " of " + delivery.maxAttempts() + " failed: " + detail);
            return;
        }
        current.feed().retryLater(current.entryId(), delay, current.attempt(), detail);
    }

    private void deadLetter(InboxDelivery current, DeadLetterReason reason, String detail) {
        log.warn(
                "message {} of {} goes to dead letters after attempt {}: {} {}",
                current.envelope().messageId(),
                current.feed().inbox(),
                current.attempt(),
                reason.code(),
                detail);
        current.feed().deadLetter(current.entryId(), reason, null, detail, current.attempt());
    }

    private void checkIdle() {
        if (closing.get() && inFlight.get() == 0 && !draining.get()) {
            // An ack queued by ackWhen work that ended after the last drain goes out now, not on a
            // timer the closing bus may no longer run.
            feeds.forEach(StreamFeed::flushAcks);
            if (idle.complete(null)) {
                stopMaintenance();
            }
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
