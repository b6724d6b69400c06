package io.agentbus.cli;

import io.agentbus.MessageId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the demo sent and what its agents really received: the send-call time of every message, the
 * sends Redis confirmed, how many times each message reached a handler, and the latency from the
 * send call to the start of the first handler. Thread-safe: senders, Lettuce's I/O threads and the
 * handler threads all write here.
 */
final class Receipts {

    private final Map<MessageId, Long> sendCalledAt = new ConcurrentHashMap<>();
    private final Set<MessageId> confirmed = ConcurrentHashMap.newKeySet();
    private final Map<MessageId, AtomicInteger> receipts = new ConcurrentHashMap<>();
    private final LongAdder failedSends = new LongAdder();
    private final AtomicReference<Throwable> firstSendFailure = new AtomicReference<>();
    private final LongAdder strangers = new LongAdder();
    // Records from any thread without locking; 3 significant digits keeps p99 exact to 0.1%.
    private final Recorder latencyNanos = new Recorder(3);
    private final Histogram latency = new Histogram(3);

    /** Called just before {@code bus.send}: latency counts from here. */
    void sending(MessageId id) {
        sendCalledAt.put(id, System.nanoTime());
    }

    /** Redis appended the message to its recipient's inbox. */
    void sent(MessageId id) {
        confirmed.add(id);
    }

    void sendFailed(Throwable failure) {
        failedSends.increment();
        // A failed stage hands its failure over wrapped; the bus's own exception is what to show.
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        firstSendFailure.compareAndSet(null, cause);
    }

    /** Called at the start of a handler. A message this run did not send is counted as a stranger. */
    void received(MessageId id) {
        long now = System.nanoTime();
        Long calledAt = sendCalledAt.get(id);
        if (calledAt == null) {
            strangers.increment();
            return;
        }
        if (receipts.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet() == 1) {
            latencyNanos.recordValue(now - calledAt);
        }
    }

    /** Confirmed sends. */
    long sentCount() {
        return confirmed.size();
    }

    long failedSendCount() {
        return failedSends.sum();
    }

    Throwable firstSendFailure() {
        return firstSendFailure.get();
    }

    /** Messages received that this run never sent: left in the inboxes by an earlier run on the same Redis. */
    long strangerCount() {
        return strangers.sum();
    }

    /** Distinct messages of this run that reached a handler at least once. */
    long deliveredCount() {
        return receipts.size();
    }

    /** Ids Redis confirmed as sent that no handler has seen. */
    long lostCount() {
        return confirmed.stream().filter(id -> !receipts.containsKey(id)).count();
    }

    /** Receipts beyond the first, over all messages. */
    long duplicateCount() {
        return receipts.values().stream().mapToLong(count -> count.get() - 1).sum();
    }

    /** Send-to-handler latency of every delivered message so far, in nanoseconds. */
    synchronized Histogram latency() {
        latency.add(latencyNanos.getIntervalHistogram());
        return latency.copy();
    }
}
