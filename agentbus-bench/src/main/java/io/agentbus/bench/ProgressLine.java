package io.agentbus.bench;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One status line on stderr, rewritten in place ({@code \r}) at a fixed period while work runs, and
 * ended with its final state when closed. It goes to stderr so that stdout keeps only the result.
 * The agentbus command has the same class for its demo and {@code dlq redrive}; the bench, a jar of its
 * own, keeps this copy instead of depending on the command.
 */
final class ProgressLine implements AutoCloseable {

    private final PrintWriter err;
    private final Supplier<String> status;
    private final ScheduledExecutorService timer;
    private int lastLength;

    ProgressLine(PrintWriter err, Supplier<String> status, Duration period) {
        this.err = err;
        this.status = status;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "agentbus-progress");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleAtFixedRate(this::print, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the updates and prints the final state on a line of its own. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        print();
        err.println();
        err.flush();
    }

    private synchronized void print() {
        String line = status.get();
        // Blank out what a longer previous line would leave behind.
        String padding = " ".repeat(Math.max(0, lastLength - line.length()));
        lastLength = line.length();
        err.print("\r" + line + padding);
        err.flush();
    }
}
