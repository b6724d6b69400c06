package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Subscription;
import io.lettuce.core.StreamMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of an agent: the messages its {@link InboxReader} read for it, the handler
 * that runs them one at a time on the bus's handler pool, and the acknowledgements.
 *
 * <p>Design. Delivery is at least once, on a Redis Stream with one consumer group per inbox: an
 * entry read with {@code XREADGROUP} sits in the group's pending entries list (PEL) under this
 * consumer until {@code XACK}. A handler that returns normally gets its entry acknowledged; one that
 * throws leaves it pending, so a crash at any point loses nothing (a List with RPOP would lose the
 * message popped by a consumer that dies mid-work). Acknowledgements are batched: one multi-id
 * XACK per drained batch (at most {@link #ACK_BATCH} ids), which matters because a round trip per
 * message costs 7-14x in throughput. An entry that is not a readable envelope goes to dead letters
 * with a reason, acknowledged in the same Lua script, and never reaches the handler.
 *
 * <p>Concurrency. The reader thread calls {@link #accept}; at most one drain task at a time runs
 * handlers ({@link #draining}), which keeps a subscription's messages in order and its handler
 * single-threaded. {@link #inFlight} counts read-but-unfinished messages; the reader asks for more
 * only while a full batch fits under prefetch, and the drain wakes it when room for a batch opens.
 */
final class InboxSubscription implements Subscription {

    static final int ACK_BATCH = 100;
    private static final Logger log = LoggerFactory.getLogger(InboxSubscription.class);
    private static final ThreadLocal<InboxSubscription> HANDLING = new ThreadLocal<>();

    private final RedisAgentBus bus;
    private final AgentId agent;
    private final String inbox;
    private final MessageHandler handler;
    private final InboxReader reader;
    private final int prefetch;
    private final int readCount;
    private final ConcurrentLinkedQueue<RedisDelivery> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    /** Touched only by the one running drain task. */
    private final List<String> toAck = new ArrayList<>();
    private volatile boolean abandoned;
    private volatile CompletionStage<?> lastAck = CompletableFuture.completedFuture(null);

    InboxSubscription(RedisAgentBus bus, AgentId agent, MessageHandler handler, InboxReader reader) {
        this.bus = bus;
        this.agent = agent;
        this.inbox = KeySchema.inbox(agent);
        this.handler = handler;
        this.reader = reader;
        this.prefetch = bus.options().prefetch();
        this.readCount = Math.min(bus.options().readBatchSize(), prefetch);
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

    int readCount() {
        return readCount;
    }

    boolean wantsMore() {
        return !closing.get() && prefetch - inFlight.get() >= readCount;
    }

    /** Called by the reader thread for each entry read for this subscription. */
    void accept(StreamMessage<String, byte[]> entry) {
        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decode(entry.getBody());
        if (decoded instanceof EnvelopeCodec.Malformed malformed) {
            log.warn("entry {} of {} is not a valid envelope ({} {}: {}); moving it to dead letters",
                    entry.getId(), inbox, malformed.reason().code(), malformed.field(), malformed.detail());
            bus.deadLetter(agent, entry.getId(), malformed, consumer(), 1).whenComplete((deadLetterId, failure) -> {
                if (failure != null) {
                    log.warn("could not dead-letter entry {} of {}; it stays pending: {}", entry.getId(), inbox, failure.toString());
                }
            });
            return;
        }
        if (idle.isDone()) {
            // Read in the instant the subscription finished closing: leave it pending for redelivery.
            log.debug("entry {} of {} arrived after {} closed; left pending", entry.getId(), inbox, this);
            return;
        }
        Envelope envelope = ((EnvelopeCodec.Valid) decoded).envelope();
        inFlight.incrementAndGet();
        queue.add(new RedisDelivery(envelope, 1, entry.getId(), consumer(), Instant.now()));
        scheduleDrain();
    }

    @Override
    public void close() {
        beginClose();
        if (HANDLING.get() == this) {
            return; // the running delivery is acknowledged when the handler returns
        }
        awaitClosed();
    }

    void beginClose() {
        if (closing.compareAndSet(false, true)) {
            reader.remove(this);
            checkIdle();
        }
    }

    void awaitClosed() {
        long timeout = bus.options().shutdownTimeout().toMillis();
        RedisAgentBus.awaitQuietly(idle, timeout);
        if (!idle.isDone()) {
            abandoned = true;
            log.warn("{} handler of {} did not finish within {} ms; {} read messages stay pending for redelivery",
                    agent, consumer(), timeout, inFlight.get());
        }
        RedisAgentBus.awaitQuietly(lastAck, bus.options().commandTimeout().toMillis());
        if (idle.isDone()) {
            RedisAgentBus.awaitQuietly(bus.releaseConsumer(agent, consumer()), bus.options().commandTimeout().toMillis());
        }
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
            RedisDelivery delivery;
            while (!abandoned && (delivery = queue.poll()) != null) {
                try {
                    handle(delivery);
                } finally {
                    int left = inFlight.decrementAndGet();
                    if (toAck.size() >= ACK_BATCH) {
                        flushAcks();
                    }
                    if (prefetch - left == readCount) {
                        reader.wakeUp(); // room for a full batch again
                    }
                }
            }
        } finally {
            flushAcks();
            HANDLING.remove();
            draining.set(false);
            if (!queue.isEmpty() && !abandoned) {
                scheduleDrain(); // entries that arrived after the last poll
            }
            checkIdle();
        }
    }

    private void handle(RedisDelivery delivery) {
        try {
            handler.handle(delivery);
            toAck.add(delivery.entryId());
        } catch (Exception | LinkageError | AssertionError e) {
            log.warn("handler of {} failed on message {} (entry {}, attempt {}); left pending",
                    agent, delivery.envelope().messageId(), delivery.entryId(), delivery.attempt(), e);
        }
    }

    private void flushAcks() {
        if (toAck.isEmpty()) {
            return;
        }
        String[] ids = toAck.toArray(String[]::new);
        toAck.clear();
        lastAck = bus.commands().xack(inbox, KeySchema.INBOX_GROUP, ids).whenComplete((count, failure) -> {
            if (failure != null) {
                log.warn("XACK of {} entries of {} failed; they stay pending: {}", ids.length, inbox, failure.toString());
            }
        });
    }

    private void checkIdle() {
        if (closing.get() && inFlight.get() == 0 && !draining.get()) {
            idle.complete(null);
        }
    }

    @Override
    public String toString() {
        return "Subscription{" + agent + " as " + consumer() + '}';
    }
}
