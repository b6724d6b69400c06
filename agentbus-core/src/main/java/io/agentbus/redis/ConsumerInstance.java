package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import io.agentbus.Subscription;
import io.agentbus.protocol.KeySchema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of an agent (or of a topic's subscriber group, or of a swarm's receiver): the
 * messages its {@link StreamFeed}s read, the handler that runs them one at a time on the bus's
 * handler pool, and the outcome of each, as {@link OutcomePolicy} decides it.
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
 * <p>Concurrency. The lane's reader thread calls {@link #enqueue} (through a feed); at most one drain
 * task at a time runs handlers ({@link #draining}), which keeps the handler single-threaded.
 * {@link #inFlight} counts read-but-unfinished messages; the reader asks for more only while
 * {@link #refillAt} fit under prefetch, and the drain wakes it when room opens.
 */
final class ConsumerInstance implements Subscription, StreamFeed.Intake {

    private static final Logger log = LoggerFactory.getLogger(ConsumerInstance.class);
    private static final ThreadLocal<ConsumerInstance> HANDLING = new ThreadLocal<>();

    private final ConsumerContext context;
    private final AgentId agent;
    private final MessageHandler handler;
    private final DeliveryOptions delivery;
    private final OutcomePolicy policy;
    private final LaneReader reader;
    private final Consumer<ConsumerInstance> onStopped;
    /** Fixed but for a swarm's receiver, which gains a stream per new sender ({@link #addStream}). */
    private final List<StreamFeed> feeds = new CopyOnWriteArrayList<>();
    /** The upkeep of an agent's inbox instance (presence, delayed messages); null for a topic or swarm. */
    private final AgentUpkeep upkeep;

    private final long visibilityNanos;
    private final int prefetch;
    private final int readCount;
    /**
     * How many must fit under prefetch before the reader asks for more: a full batch, so that reads
     * are not one entry each, but at most half of prefetch, so that an instance whose prefetch is about
     * one batch refills before it runs dry (a blocking read that took one entry is followed at once).
     */
    private final int refillAt;

    private final AtomicLong arrivals = new AtomicLong();
    private final PriorityBlockingQueue<ReadEntry> queue = new PriorityBlockingQueue<>(
            64,
            Comparator.comparingInt((ReadEntry entry) -> -entry.feed().stream().rank())
                    .thenComparingLong(ReadEntry::arrival));
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Bytes of the entries queued and running: bounded by {@link ConsumerOptions#maxQueuedBytes()}, give or take one entry. */
    private final AtomicLong queuedBytes = new AtomicLong();

    private final long maxQueuedBytes;
    private final long maxReadBytes;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Completes when closing and no handler runs any more. */
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    /** Completes when closing is done: settled, consumer released (or given up on). */
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    /** An entry as read, not yet decoded: decoding happens on the handler thread, off the reader's path. */
    private record ReadEntry(
            StreamFeed feed,
            String id,
            Map<String, byte[]> body,
            String repeatedField,
            int deliveries,
            long bytes,
            long readNanos,
            long arrival) {}

    /**
     * A new instance; nothing is read until {@link #start()}.
     *
     * @param onStopped told once the instance no longer reads or maintains anything
     */
    ConsumerInstance(
            ConsumerContext context,
            AgentId agent,
            List<ConsumedStream> streams,
            DeliveryOptions delivery,
            MessageHandler handler,
            LaneReader reader,
            Consumer<ConsumerInstance> onStopped) {
        this.context = context;
        this.agent = agent;
        this.handler = handler;
        this.delivery = delivery;
        this.policy = new OutcomePolicy(
                delivery,
                context.options().send().maxPayloadBytes(),
                context.options().signing().requireSigned()
                        ? new MessageSignatures(context.options().signing())
                        : null);
        this.reader = reader;
        this.onStopped = onStopped;
        this.upkeep = KeySchema.INBOX_GROUP.equals(reader.group())
                ? new AgentUpkeep(context, agent, reader.consumer(), delivery)
                : null;
        this.visibilityNanos = delivery.visibilityTimeout().toNanos();
        this.prefetch = context.options().consumer().prefetch();
        this.readCount = Math.min(context.options().consumer().readBatchSize(), prefetch);
        this.refillAt = Math.min(readCount, (prefetch + 1) / 2);
        this.maxQueuedBytes = context.options().consumer().maxQueuedBytes();
        this.maxReadBytes = Math.min(context.options().consumer().maxReadBytes(), maxQueuedBytes);
        for (ConsumedStream stream : streams) {
            feeds.add(newFeed(stream));
        }
    }

    private StreamFeed newFeed(ConsumedStream stream) {
        return new StreamFeed(context, this, stream, reader.connection(), reader.consumer(), delivery);
    }

    /** Registers the consumer on every stream and starts reading them on the lane. */
    void start() {
        feeds.forEach(feed -> context.scripts().ensureConsumer(feed.stream(), reader.consumer()));
        if (upkeep != null && delivery.temporary()) {
            // The streams just made expire before anything is read: a kill from now on leaves nothing for ever.
            Await.result(
                    context.scripts().expireTemporary(agent, delivery.expireAfter()),
                    context.options().connection().commandTimeout().toMillis(),
                    "expire the keys of temporary agent " + agent);
        }
        feeds.forEach(reader::add);
        if (upkeep != null) {
            reader.add(upkeep);
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
        context.scripts().ensureConsumer(stream, reader.consumer());
        StreamFeed feed = newFeed(stream);
        feeds.add(feed);
        reader.add(feed);
    }

    @Override
    public String consumer() {
        return reader.consumer();
    }

    boolean isClosing() {
        return closing.get();
    }

    boolean isInboxOf(AgentId candidate) {
        return upkeep != null && agent.equals(candidate);
    }

    @Override
    public boolean wantsMore() {
        return !closing.get() && prefetch - inFlight.get() >= refillAt && queuedBytes.get() < maxQueuedBytes;
    }

    @Override
    public int room() {
        if (closing.get() || queuedBytes.get() >= maxQueuedBytes) {
            return 0;
        }
        return Math.max(0, Math.min(readCount, prefetch - inFlight.get()));
    }

    @Override
    public long readBytes() {
        return Math.max(1, Math.min(maxReadBytes, maxQueuedBytes - queuedBytes.get()));
    }

    @Override
    public boolean enqueue(StreamFeed feed, StreamScripts.TakenEntry entry) {
        if (closing.get()) {
            return false;
        }
        long bytes = entry.bytes();
        inFlight.incrementAndGet();
        queuedBytes.addAndGet(bytes);
        queue.add(new ReadEntry(
                feed,
                entry.id(),
                entry.body(),
                entry.repeatedField(),
                entry.deliveries(),
                bytes,
                System.nanoTime(),
                arrivals.incrementAndGet()));
        scheduleDrain();
        return true;
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
        if (upkeep != null) {
            upkeep.stopHeartbeats();
        }
        Map<StreamFeed, List<String>> notStarted = new LinkedHashMap<>();
        ReadEntry next;
        while ((next = queue.poll()) != null) {
            inFlight.decrementAndGet();
            queuedBytes.addAndGet(-next.bytes());
            notStarted.computeIfAbsent(next.feed(), feed -> new ArrayList<>()).add(next.id());
        }
        notStarted.forEach(StreamFeed::handBack);
        idle.thenCompose(done -> CompletableFuture.allOf(feeds.stream()
                        .map(feed -> feed.lastSettle().toCompletableFuture().exceptionally(failure -> null))
                        .toArray(CompletableFuture[]::new)))
                .thenCompose(settled -> CompletableFuture.allOf(feeds.stream()
                        .map(feed -> feed.release().toCompletableFuture())
                        .toArray(CompletableFuture[]::new)))
                .thenCompose(released -> upkeep != null
                        ? context.presence().leave(agent, consumer())
                        : CompletableFuture.completedFuture(null))
                // Whether or not the leave went out (its broadcast fails on a bus that is closing): a
                // temporary agent's keys go now rather than one TTL later.
                .handle((left, failure) -> null)
                .thenCompose(left -> upkeep != null ? upkeep.closed() : CompletableFuture.completedFuture(null))
                .whenComplete((released, failure) -> closed.complete(null));
        checkIdle();
    }

    /** Waits, within the shutdown timeout, for the running handler and the last settle steps. */
    void awaitClosed() {
        long timeout = context.options().consumer().shutdownTimeout().toMillis();
        Await.quietly(idle, timeout);
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
        Await.quietly(
                closed, 2 * context.options().connection().commandTimeout().toMillis());
    }

    private void stopMaintenance() {
        feeds.forEach(reader::remove);
        if (upkeep != null) {
            reader.remove(upkeep);
        }
        onStopped.accept(this);
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) {
            try {
                context.threads().handlerPool().execute(this::drain);
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
                    unqueued(next.bytes());
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

    /** Decodes an entry and hands it to the handler, or settles it at once if it cannot be handled. */
    private void process(ReadEntry entry) {
        StreamFeed feed = entry.feed();
        if (System.nanoTime() - entry.readNanos() > visibilityNanos && !feed.stillHeld(entry.id())) {
            log.warn(
                    "entry {} of {} waited here past the visibility timeout and another instance holds it"
                            + " now; it is not handled here",
                    entry.id(),
                    feed.key());
            return;
        }
        OutcomePolicy.Outcome outcome =
                policy.onRead(entry.body(), entry.repeatedField(), entry.deliveries(), Instant.now());
        if (outcome instanceof OutcomePolicy.Handle handle) {
            Envelope envelope = handle.envelope();
            if (context.replies().test(envelope)) {
                // a reply to a request of this bus: it completed it (or came late)
                feed.ack(entry.id(), envelope, entry.deliveries());
                return;
            }
            handle(entry, envelope);
        } else if (outcome instanceof OutcomePolicy.Expired expired) {
            if (expired.deadLetter() != null) {
                settle(entry, expired.deadLetter(), null);
            } else {
                feed.ack(entry.id(), expired.envelope(), entry.deliveries());
            }
            context.metrics().expired(agent);
            try {
                context.options().listener().expired(expired.envelope(), expired.deadLetter() != null);
            } catch (RuntimeException e) {
                log.warn("BusListener.expired threw; listeners must not throw", e);
            }
        } else {
            OutcomePolicy.DeadLetter deadLetter = (OutcomePolicy.DeadLetter) outcome;
            log.warn(
                    "entry {} of {} cannot be handled ({} {}: {}); moving it to dead letters",
                    entry.id(),
                    feed.key(),
                    deadLetter.reason().code(),
                    deadLetter.field(),
                    deadLetter.detail());
            settle(entry, deadLetter, null);
        }
    }

    private void handle(ReadEntry entry, Envelope envelope) {
        StreamFeed feed = entry.feed();
        StreamDelivery current = new StreamDelivery(
                agent,
                consumer(),
                envelope,
                entry.deliveries(),
                entry.id(),
                entry.readNanos(),
                context.sender(),
                () -> feed.extendLease(entry.id()));
        context.metrics().received(agent, envelope);
        long started = System.nanoTime();
        Tracing.Handling traced = context.tracing().handling(agent, envelope);
        Throwable failure = null;
        try {
            handler.handle(current);
        } catch (Exception | LinkageError | AssertionError e) {
            traced.failed(e);
            failure = e;
            if (!(e instanceof NonRetryableException)) {
                // Expected now and then: retried, and dead-lettered (with a WARN) after the last attempt.
                log.info(
                        "handler of {} failed on message {} (entry {}, attempt {} of {}): {}",
                        agent,
                        envelope.messageId(),
                        entry.id(),
                        current.attempt(),
                        policy.maxAttempts(),
                        e.toString());
                log.debug("handler failure of message {}", envelope.messageId(), e);
            }
        } finally {
            traced.close();
            context.metrics().processed(agent, System.nanoTime() - started);
        }
        OutcomePolicy.Outcome outcome = policy.afterHandler(current.attempt(), failure, current.choice());
        if (outcome instanceof OutcomePolicy.AckWhen ackWhen) {
            settleWhenDone(entry, envelope, ackWhen);
        } else {
            settle(entry, outcome, envelope);
        }
    }

    /**
     * Acks {@code entry} when its {@link StreamDelivery#ackWhen} work completes, or retries it if the
     * work fails. Until then it counts as in flight, so prefetch and a closing instance wait for it.
     */
    private void settleWhenDone(ReadEntry entry, Envelope envelope, OutcomePolicy.AckWhen ackWhen) {
        inFlight.incrementAndGet();
        ackWhen.work().whenComplete((done, failure) -> {
            try {
                if (failure != null) {
                    log.info(
                            "work of {} on message {} failed (attempt {} of {}): {}",
                            agent,
                            envelope.messageId(),
                            entry.deliveries(),
                            policy.maxAttempts(),
                            failure.toString());
                }
                settle(entry, policy.afterWork(entry.deliveries(), failure), envelope);
            } finally {
                released();
                checkIdle();
            }
        });
    }

    /** Carries out an ack, retry or dead-letter outcome on the entry's stream. */
    private void settle(ReadEntry entry, OutcomePolicy.Outcome outcome, Envelope envelope) {
        StreamFeed feed = entry.feed();
        if (outcome instanceof OutcomePolicy.Ack) {
            feed.ack(entry.id(), envelope, entry.deliveries());
        } else if (outcome instanceof OutcomePolicy.Retry retry) {
            feed.retryLater(entry.id(), retry.delay(), entry.deliveries(), retry.why());
        } else if (outcome instanceof OutcomePolicy.DeadLetter deadLetter) {
            if (envelope != null) {
                log.warn(
                        "message {} of {} goes to dead letters after attempt {}: {} {}",
                        envelope.messageId(),
                        feed.key(),
                        entry.deliveries(),
                        deadLetter.reason().code(),
                        deadLetter.detail());
            }
            feed.deadLetter(
                    entry.id(), deadLetter.reason(), deadLetter.field(), deadLetter.detail(), entry.deliveries());
        } else {
            throw new IllegalStateException("not a settling outcome: " + outcome);
        }
    }

    /** An entry's bytes leave the queue; wakes the reader when that brings the queue under its byte budget. */
    private void unqueued(long bytes) {
        long left = queuedBytes.addAndGet(-bytes);
        if (left < maxQueuedBytes && left + bytes >= maxQueuedBytes) {
            reader.wakeUp();
        }
    }

    /** One message fewer in flight; wakes the reader when it may read again. */
    private void released() {
        int left = inFlight.decrementAndGet();
        if (prefetch - left == refillAt) {
            reader.wakeUp();
        }
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

    @Override
    public String toString() {
        return "Subscription{" + agent + " as " + consumer() + '}';
    }
}
