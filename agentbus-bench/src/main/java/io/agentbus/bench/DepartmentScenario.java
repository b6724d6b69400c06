package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * {@link Scenario#DEPARTMENT}: {@link Plan#departmentProcesses()} processes of {@link Plan#departmentAgents()}
 * agents each on one fresh {@code redis-server}, every agent sending to every other in turn
 * ({@link DepartmentMain} says how each process sends). Each process is a JVM of its own, started here, as a
 * team would run its agents. They start together, warm up for {@link Plan#departmentWarmupSeconds()}, then are
 * measured twice for {@link Plan#departmentSeconds()}: at a fixed total rate ({@link Plan#departmentRate()},
 * open loop: the latencies of a department under a steady load) and as fast as the department handles (its
 * capacity; the latencies then mostly say how long a message queues behind the others in transit). Reported
 * for each: messages handled per second in all processes, and the percentiles of handler start − (intended)
 * send time. After the runs each process must handle exactly what was sent to it, and no entry may stay
 * pending, or the scenario fails.
 */
final class DepartmentScenario {

    private final BenchSystem system;
    private final Plan plan;
    private final Status status;
    private final Consumer<String> log;
    private final List<Result> results;

    /** Adds its figures to {@code results}. */
    DepartmentScenario(BenchSystem system, Plan plan, Status status, Consumer<String> log, List<Result> results) {
        this.system = system;
        this.plan = plan;
        this.status = status;
        this.log = log;
        this.results = results;
    }

    /** The {@code load} param of the fixed-rate run. */
    static final String AT_RATE = "rate";
    /** The {@code load} param of the as-fast-as-handled run. */
    static final String AS_FAST = "max";

    /** The name of the department's agent number {@code index}; process {@code p} runs a contiguous range. */
    static String agent(int index) {
        return "agent-" + index;
    }

    void run() throws Exception {
        int processes = plan.departmentProcesses();
        int agents = processes * plan.departmentAgents();
        status.phase("department: starting redis-server");
        List<Child> children = new ArrayList<>();
        try (LocalRedis redis = LocalRedis.start();
                Harness harness = new Harness(redis, status)) {
            status.phase("department: starting " + processes + " processes of " + plan.departmentAgents() + " agents");
            for (int p = 0; p < processes; p++) {
                children.add(new Child(p, redis.uri()));
            }
            for (Child child : children) {
                child.expect("READY", 120);
            }
            status.phase("department: " + plan.departmentWarmupSeconds() + " s warm-up");
            go(children);
            drain(children, plan.departmentWarmupSeconds());
            status.phase("department: " + plan.departmentSeconds() + " s at " + plan.departmentRate() + " msg/s, then "
                    + plan.departmentSeconds() + " s as fast as handled");
            go(children);
            long sent = drain(children, 2L * plan.departmentSeconds());
            List<String> inboxes = new ArrayList<>();
            for (int i = 0; i < agents; i++) {
                inboxes.add(Payloads.inbox(agent(i)));
            }
            harness.awaitAcked(inboxes, 60_000);
            long connections = harness.connections();
            status.phase("department: closing");
            children.forEach(child -> child.tell("CLOSE"));
            long[] handled = new long[2];
            Histogram[] latencies = {new Histogram(3), new Histogram(3)};
            for (Child child : children) {
                String[] result = child.expect("RESULT", 60).split(" ");
                for (int run = 0; run < 2; run++) {
                    handled[run] += Long.parseLong(result[2 * run]);
                    latencies[run].add(DepartmentMain.decode(result[2 * run + 1]));
                }
            }
            for (Child child : children) {
                child.awaitExit();
            }
            harness.slowCommands().forEach(line -> log.accept(system.name() + ": slow on the server: " + line));
            log.accept(String.format(
                    Locale.ROOT,
                    "%s: department, %d messages sent in all; handled in the measured %d s: %d at the fixed rate,"
                            + " %d as fast as handled",
                    system.name(),
                    sent,
                    plan.departmentSeconds(),
                    handled[0],
                    handled[1]));
            report(agents, AT_RATE, handled[0], latencies[0], connections);
            report(agents, AS_FAST, handled[1], latencies[1], connections);
        } finally {
            children.forEach(Child::destroy);
        }
    }

    /** Tells every process to start sending together, a moment from now. */
    private static void go(List<Child> children) {
        long start = Payloads.now() + TimeUnit.MILLISECONDS.toNanos(200);
        children.forEach(child -> child.tell("GO " + start));
    }

    /**
     * Waits for every process to stop sending (within {@code seconds} and a margin), tells each how many messages
     * were sent to it so far and waits until each handled them; returns how many were sent in all.
     */
    private long drain(List<Child> children, long seconds) throws Exception {
        long[] sentTo = new long[children.size()];
        for (Child child : children) {
            String[] counts = child.expect("SENT", seconds + 60).split(" ");
            for (int p = 0; p < children.size(); p++) {
                sentTo[p] += Long.parseLong(counts[p]);
            }
        }
        for (Child child : children) {
            child.tell("DRAIN " + sentTo[child.process]);
        }
        for (Child child : children) {
            child.expect("DRAINED", 90);
        }
        return java.util.Arrays.stream(sentTo).sum();
    }

    private void report(int agents, String load, long handled, Histogram latencies, long connections) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("load", load);
        if (load.equals(AT_RATE)) {
            params.put("rate", plan.departmentRate());
        }
        params.put("agents", agents);
        params.put("processes", plan.departmentProcesses());
        params.put("seconds", plan.departmentSeconds());
        params.put("warmup_seconds", plan.departmentWarmupSeconds());
        params.put("messages", handled);
        params.put("payload_bytes", Plan.PAYLOAD_BYTES);
        params.put("window_per_process", plan.inFlight());
        add(Result.MSGS_PER_S, SystemRun.round(handled / (double) plan.departmentSeconds()), params);
        add(Result.P50_MS, SystemRun.round(latencies.getValueAtPercentile(50) / 1e6), params);
        add(Result.P90_MS, SystemRun.round(latencies.getValueAtPercentile(90) / 1e6), params);
        add(Result.P99_MS, SystemRun.round(latencies.getValueAtPercentile(99) / 1e6), params);
        add(Result.P999_MS, SystemRun.round(latencies.getValueAtPercentile(99.9) / 1e6), params);
        add(Result.MAX_MS, SystemRun.round(latencies.getMaxValue() / 1e6), params);
        add(Result.CONNECTIONS, connections, params);
    }

    private void add(String metric, double value, Map<String, Object> params) {
        results.add(new Result(system.name(), Scenario.DEPARTMENT.id(), metric, value, params));
    }

    /** One process of the department: its JVM and the protocol lines it printed, read by a thread of its own. */
    private final class Child {

        private static final String EXITED = "\u0000exited";

        final int process;
        private final Process jvm;
        private final OutputStream commands;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(int process, String redisUri) throws IOException {
            this.process = process;
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(Bench.CHILD_JVM);
            command.add("-D" + Payloads.ORIGIN_PROPERTY + "=" + Payloads.origin());
            command.addAll(List.of(
                    "-cp",
                    System.getProperty("java.class.path"),
                    DepartmentMain.class.getName(),
                    system.name(),
                    redisUri,
                    Integer.toString(process),
                    Integer.toString(plan.departmentProcesses()),
                    Integer.toString(plan.departmentAgents()),
                    Integer.toString(plan.inFlight()),
                    Integer.toString(plan.departmentRate()),
                    Integer.toString(plan.departmentWarmupSeconds()),
                    Integer.toString(plan.departmentSeconds())));
            // Its log (stderr) goes where this process's goes: bench.log for a system's own JVM.
            this.jvm = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            this.commands = jvm.getOutputStream();
            Thread reader = new Thread(this::read, "department-process-" + process);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith(DepartmentMain.PREFIX)) {
                        lines.add(line.substring(DepartmentMain.PREFIX.length()));
                    } else {
                        log.accept(system.name() + ": department process " + process + ": " + line);
                    }
                }
            } catch (IOException e) {
                log.accept(system.name() + ": department process " + process + ": " + e);
            }
            lines.add(EXITED);
        }

        /** Waits for the line {@code word …} and returns what follows the word; throws on an error or exit. */
        String expect(String word, long timeoutSeconds) throws Exception {
            String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
            if (line == null) {
                throw new TimeoutException(
                        "department process " + process + " said no " + word + " within " + timeoutSeconds + " s");
            }
            if (line.equals(EXITED)) {
                throw new IllegalStateException(
                        "department process " + process + " exited before " + word + " (see bench.log)");
            }
            if (line.startsWith("ERROR")) {
                throw new IllegalStateException("department process " + process + ": "
                        + line.substring(5).trim());
            }
            if (!(line.equals(word) || line.startsWith(word + " "))) {
                throw new IllegalStateException(
                        "department process " + process + " said '" + line + "' instead of " + word);
            }
            return line.substring(word.length()).trim();
        }

        void tell(String line) {
            try {
                commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                commands.flush();
            } catch (IOException e) {
                throw new IllegalStateException("department process " + process + " no longer listens", e);
            }
        }

        void awaitExit() throws Exception {
            if (!jvm.waitFor(30, TimeUnit.SECONDS) || jvm.exitValue() != 0) {
                throw new IllegalStateException("department process " + process + " did not exit cleanly");
            }
        }

        void destroy() {
            if (jvm.isAlive()) {
                jvm.destroyForcibly();
            }
        }
    }
}
