package io.agentbus.interop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One command of the interop driver (interop-spec.md), running or done, whichever language runs it: its
 * stdout JSON lines with the time each arrived, its stderr, the {@code ready} line it printed and its
 * exit code. A {@link LanguagePeer} feeds it; scenarios wait on it, each wait bounded. Closing it stops
 * the command if it still runs.
 */
final class DriverRun implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A stdout line of the command, parsed, and when the test read it (System.nanoTime). */
    record Line(JsonNode json, long atNanos) {}

    private final String description;
    private final Runnable stop;
    private final List<Line> lines = new ArrayList<>();
    private final List<String> stderr = new ArrayList<>();
    private final List<String> malformed = new ArrayList<>();
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    /**
     * @param description the command as a human would type it, for failure messages
     * @param stop        ends the command at once (SIGKILL for a process)
     */
    DriverRun(String description, Runnable stop) {
        this.description = description;
        this.stop = stop;
    }

    synchronized void onStdout(String text) {
        try {
            lines.add(new Line(JSON.readTree(text), System.nanoTime()));
        } catch (JsonProcessingException e) {
            // stdout is JSON Lines by contract: kept, and reported by every wait below
            malformed.add(text);
        }
        notifyAll();
    }

    synchronized void onStderr(String text) {
        stderr.add(text);
        if (text.startsWith("ready ")) {
            ready.complete(text.substring("ready ".length()));
        }
    }

    void onExit(int code) {
        ready.completeExceptionally(new IllegalStateException("ended with exit code " + code + " before it was ready"));
        exit.complete(code);
        synchronized (this) {
            notifyAll();
        }
    }

    /** Waits for the {@code ready} line on stderr. */
    void awaitReady(Duration timeout) throws Exception {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            throw failure("no ready line within " + timeout.toMillis() + " ms (" + e.getMessage() + ")");
        }
    }

    /** Waits until at least {@code count} stdout lines arrived; returns them all. */
    synchronized List<Line> awaitLines(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.size() < count && !exit.isDone()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        checkWellFormed();
        if (lines.size() < count) {
            throw failure("expected " + count + " stdout lines, got " + lines.size());
        }
        return List.copyOf(lines);
    }

    /** Waits for the command to end; returns its exit code. */
    int awaitExit(Duration timeout) throws Exception {
        try {
            int code = exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            // The last lines may still be in the reader's hands when the process has ended.
            synchronized (this) {
                checkWellFormed();
            }
            return code;
        } catch (TimeoutException e) {
            throw failure("still running after " + timeout.toMillis() + " ms");
        }
    }

    /** Waits for the command to end with exit code 0; returns its stdout. */
    List<JsonNode> awaitSuccess(Duration timeout) throws Exception {
        int code = awaitExit(timeout);
        if (code != 0) {
            throw failure("exit code " + code);
        }
        return json();
    }

    synchronized List<JsonNode> json() {
        return lines.stream().map(Line::json).toList();
    }

    /** Ends the command at once (for a process: SIGKILL) and waits until it is gone. */
    void kill(Duration timeout) throws Exception {
        stop.run();
        awaitExit(timeout);
    }

    @Override
    public void close() {
        if (!exit.isDone()) {
            stop.run();
        }
    }

    /** An AssertionError naming the command, with what it printed: the report a client's author needs. */
    synchronized AssertionError failure(String what) {
        return new AssertionError(what + "\n  command: " + description
                + "\n  stdout: "
                + lines.stream().map(line -> line.json().toString()).toList()
                + (malformed.isEmpty() ? "" : "\n  stdout lines that are not JSON: " + malformed)
                + "\n  stderr: "
                + String.join("\n          ", stderr.subList(Math.max(0, stderr.size() - 30), stderr.size())));
    }

    private void checkWellFormed() {
        if (!malformed.isEmpty()) {
            throw failure("stdout must be JSON Lines");
        }
    }
}
