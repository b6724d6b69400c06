package io.agentbus.cli.demo;

import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** Counts failures of the demo's asynchronous steps and keeps the first, to show it. Thread-safe. */
final class FailureTally {

    private final LongAdder count = new LongAdder();
    private final AtomicReference<Throwable> first = new AtomicReference<>();

    void add(Throwable failure) {
        count.increment();
        // A failed stage hands its failure over wrapped; the bus's own exception is what to show.
        first.compareAndSet(
                null,
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
    }

    long count() {
        return count.sum();
    }

    Throwable first() {
        return first.get();
    }
}
