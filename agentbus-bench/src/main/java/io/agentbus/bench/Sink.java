package io.agentbus.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Where every system's handler puts what it received: it counts messages and, during an open-loop run,
 * records handler start − intended send time (read from the payload's stamp) into an HdrHistogram
 * {@link Recorder}. Thread-safe; one per rig.
 */
final class Sink {

    private final AtomicLong handled = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile CompletableFuture<Void> reached = new CompletableFuture<>();
    private volatile Recorder recorder;

    /** Called by a system's handler with each message's payload, first thing. */
    void accept(String payload) {
        Recorder current = recorder;
        if (current != null) {
            current.recordValue(Math.max(0, Payloads.now() - Payloads.stampOf(payload)));
        }
        if (handled.incrementAndGet() == target) {
            reached.complete(null);
        }
    }

    /** Starts a new count that completes {@link #await} after {@code messages} more messages. */
    synchronized void expect(long messages, Recorder latencies) {
        reached = new CompletableFuture<>();
        recorder = latencies;
        target = handled.get() + messages;
        if (handled.get() >= target) {
            reached.complete(null);
        }
    }

    long handled() {
        return handled.get();
    }

    /** Waits until the expected messages were handled; throws naming how many are missing. */
    void await(long timeoutMillis) throws Exception {
        try {
            reached.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException(
                    (target - handled.get()) + " messages not handled within " + timeoutMillis + " ms");
        }
    }
}
