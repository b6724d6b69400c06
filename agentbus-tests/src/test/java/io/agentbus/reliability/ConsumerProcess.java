package io.agentbus.reliability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link RecordingConsumerMain} (or another main that prints {@code READY <name>}) running in a JVM of
 * its own, started, awaited and killed by a test. Public for the tests of other packages (the cluster
 * broadcast test starts a listener JVM with it); what the process prints after {@code READY} is kept.
 */
public final class ConsumerProcess implements AutoCloseable {

    private final Process process;
    private final CompletableFuture<String> consumer = new CompletableFuture<>();
    private final List<String> output = new CopyOnWriteArrayList<>();

    private ConsumerProcess(Process process) {
        this.process = process;
        Thread stdout = new Thread(this::readStdout, "consumer-process-" + process.pid() + "-stdout");
        stdout.setDaemon(true);
        stdout.start();
    }

    /** Starts one instance; its stderr (the bus's log) goes to {@code log}. */
    static ConsumerProcess start(Path log, String... args) throws IOException {
        return start(log, RecordingConsumerMain.class, args);
    }

    /** Starts {@code main} (which prints {@code READY <name>} once ready); its stderr goes to {@code log}. */
    public static ConsumerProcess start(Path log, Class<?> main, String... args) throws IOException {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A small, quickly started JVM: this machine runs several of them beside the test.
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        Process process =
                new ProcessBuilder(command).redirectError(log.toFile()).start();
        return new ConsumerProcess(process);
    }

    /** The consumer name, once the instance has subscribed. */
    CompletableFuture<String> consumer() {
        return consumer;
    }

    boolean isReady() {
        return consumer.isDone() && !consumer.isCompletedExceptionally() && process.isAlive();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " survived SIGKILL for 10 s");
        }
    }

    /** SIGSTOP: the process freezes, connections open, as a long GC pause or a stopped container would. */
    void suspend() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #suspend()}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** The lines the process printed on stdout after {@code READY}, so far (safe to read while it prints). */
    public List<String> output() {
        return output;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    /** Waits for READY; fails with the process's exit status if it died first. */
    public String awaitReady(Duration timeout) throws Exception {
        return consumer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void readStdout() {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    consumer.complete(line.substring("READY ".length()).trim());
                } else if (consumer.isDone()) {
                    output.add(line);
                }
            }
        } catch (IOException e) {
            // the process was killed: its stdout closes
        }
        consumer.completeExceptionally(new IllegalStateException("consumer process " + process.pid()
                + " ended before it was ready" + (process.isAlive() ? "" : ", exit status " + process.exitValue())));
    }
}
