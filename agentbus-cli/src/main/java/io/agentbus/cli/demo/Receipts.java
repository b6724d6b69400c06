package io.agentbus.cli.demo;

import io.agentbus.MessageId;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the demo sent and what its agents really did with it: the send-call time of every message, the
 * sends Redis confirmed, every handler run with its attempt and outcome, and the latency from the send
 * call to the start of the first handler run. Thread-safe: senders, Lettuce's I/O threads and the
 * handler threads all write here.
 */
final class Receipts {

    /** The handler runs of one message. Guarded by itself. */
    private static final class Runs {
        private int started;
        private int retriesExpected;
        private boolean succeeded;
        private boolean gaveUp;
    }

    private final Map<MessageId, Long> sendCalledAt = new ConcurrentHashMap<>();
    private final Set<MessageId> confirmed = ConcurrentHashMap.newKeySet();
    private final Map<MessageId, Runs> runs = new ConcurrentHashMap<>();
    private final LongAdder retried = new LongAdder();
    private final FailureTally failedSends = new FailureTally();
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
        failedSends.add(failure);
    }

    /**
     * Called at the start of a handler run, with the delivery's attempt. A message this run did not
     * send is counted as a stranger, and its outcome is not followed.
     *
     * @return whether the message is one of this run's
     */
    boolean received(MessageId id, int attempt) {
        long now = System.nanoTime();
        Long calledAt = sendCalledAt.get(id);
        if (calledAt == null) {
            strangers.increment();
            return false;
        }
        if (attempt > 1) {
            retried.increment();
        }
        Runs of = runs.computeIfAbsent(id, key -> new Runs());
        boolean first;
        synchronized (of) {
            first = ++of.started == 1;
        }
        if (first) {
            latencyNanos.recordValue(now - calledAt);
        }
        return true;
    }

    /** The handler returned normally: the bus acknowledges the message. */
    void succeeded(MessageId id) {
        Runs of = runs.get(id);
        synchronized (of) {
            of.succeeded = true;
        }
    }

    /**
     * The handler failed; {@code retryExpected} says whether the bus delivers the message again, or
     * moves it to dead letters (a non-retryable failure, or the last allowed attempt).
     */
    void failed(MessageId id, boolean retryExpected) {
        Runs of = runs.get(id);
        synchronized (of) {
            if (retryExpected) {
                of.retriesExpected++;
            } else {
                of.gaveUp = true;
            }
        }
    }

    /** Confirmed sends. */
    long sentCount() {
        return confirmed.size();
    }

    Set<MessageId> sentIds() {
        return Set.copyOf(confirmed);
    }

    long failedSendCount() {
        return failedSends.count();
    }

    Throwable firstSendFailure() {
        return failedSends.first();
    }

    /** Messages received that this run never sent: left in the inboxes by an earlier run on the same Redis. */
    long strangerCount() {
        return strangers.sum();
    }

    /** Distinct messages of this run that reached a handler at least once. */
    long deliveredCount() {
        return runs.size();
    }

    /** Handler runs of this run's messages with an attempt above 1. */
    long retriedCount() {
        return retried.sum();
    }

    /** Messages of this run whose handler returned normally at least once. */
    Set<MessageId> succeededIds() {
        Set<MessageId> ids = new HashSet<>();
        runs.forEach((id, of) -> {
            synchronized (of) {
                if (of.succeeded) {
                    ids.add(id);
                }
            }
        });
        return ids;
    }

    /** Confirmed sends whose handler has neither succeeded nor given them up to dead letters yet. */
    long unresolvedCount() {
        return confirmed.stream()
                .filter(id -> {
                    Runs of = runs.get(id);
                    if (of == null) {
                        return true;
                    }
                    synchronized (of) {
                        return !of.succeeded && !of.gaveUp;
                    }
                })
                .count();
    }

    /**
     * Handler runs beyond those expected, over all messages: a message is expected to run once, plus
     * once after each failure the bus retries; a transient failure handled on its third attempt is
     * no duplicate, a message run again after it succeeded is.
     */
    long duplicateCount() {
        long duplicates = 0;
        for (Runs of : runs.values()) {
            synchronized (of) {
                duplicates += Math.max(0, of.started - 1 - of.retriesExpected);
            }
        }
        return duplicates;
    }

    /** Send-to-handler latency of every delivered message so far, in nanoseconds. */
    synchronized Histogram latency() {
        latency.add(latencyNanos.getIntervalHistogram());
        return latency.copy();
    }
}
