package io.agentbus.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The benchmark: runs every selected system, each in a JVM of its own ({@link SystemMain}) one after
 * the other, each measurement on a fresh redis-server; then writes {@code results.json},
 * {@code results.md} and {@code bench.png} to {@link BenchSettings#out()}. Child output goes to
 * {@code bench.log} there; {@link #status()} says what runs now, for a progress display.
 *
 * <pre>{@code
 * BenchReport report = new Bench(new BenchSettings(List.of(), true, Path.of("target/bench"), List.of(), false)).run();
 * }</pre>
 */
public final class Bench {

    /** Heap of every system's JVM, the same for all. */
    static final List<String> CHILD_JVM =
            List.of("-Xms1g", "-Xmx2g", "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    private final BenchSettings settings;
    private volatile String status = "starting";
    /** The status of a system running in this JVM (--quick), else null. */
    private volatile Status inProcess;

    private volatile long started = System.nanoTime();

    public Bench(BenchSettings settings) {
        this.settings = settings;
    }

    /** One line: which system runs, what it does, how long the run has taken. */
    public String status() {
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        Status running = inProcess;
        String now = running != null ? status + running : status;
        return String.format(Locale.ROOT, "bench %d:%02d  %s", seconds / 60, seconds % 60, now);
    }

    public BenchReport run() throws IOException, InterruptedException {
        started = System.nanoTime();
        Instant startedAt = Instant.now();
        Path out = settings.out().toAbsolutePath();
        Files.createDirectories(out);
        status = "reading machine and versions";
        Map<String, Object> machine = Environment.machine();
        Map<String, Object> versions = Environment.versions();
        String commit = Environment.commit();

        List<Result> results = new ArrayList<>();
        List<Map<String, String>> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> systems = settings.systems().stream()
                .filter(system -> settings.scenarios().stream().anyMatch(scenario -> Systems.runs(system, scenario)))
                .toList();
        Plan plan = Plan.of(settings.quick());
        // With several rounds, direct-throughput runs first, round-robin over the systems, so that every
        // system is measured in the same stretches of time: load from other processes on a shared
        // machine then moves all systems' medians alike instead of whichever system ran during a burst.
        boolean rounds = plan.directRounds() > 1 && settings.scenarios().contains(Scenario.DIRECT_THROUGHPUT);
        try (PrintWriter log =
                new PrintWriter(Files.newBufferedWriter(out.resolve("bench.log"), StandardCharsets.UTF_8))) {
            if (rounds) {
                directThroughputRounds(plan, systems, out, log, results, failures);
            }
            for (int i = 0; i < systems.size(); i++) {
                String system = systems.get(i);
                List<Scenario> scenarios = settings.scenarios().stream()
                        .filter(s -> Systems.runs(system, s))
                        .filter(s -> !(rounds && s == Scenario.DIRECT_THROUGHPUT && !Systems.isRedisBenchmark(system)))
                        .toList();
                if (scenarios.isEmpty()) {
                    continue;
                }
                if (Systems.isRedisBenchmark(system) && RedisBenchmark.binary() == null) {
                    notes.add(system + " skipped: no redis-benchmark on PATH");
                    continue;
                }
                String prefix = "[" + (i + 1) + "/" + systems.size() + "] " + system + ": ";
                if (Systems.isRedisBenchmark(system)) {
                    // A C program of its own: no JVM to isolate, so it runs from here.
                    runRedisBenchmark(system, scenarios, prefix, results, failures);
                    continue;
                }
                if (settings.quick() && !system.equals(AgentBusSystem.NAME)) {
                    // --quick checks the harness, not speeds: the other systems run in this JVM, which
                    // saves a JVM start each; agentbus still runs forked so that path stays tested.
                    runInProcess(system, scenarios, prefix, log, results, failures);
                    continue;
                }
                status = prefix + "starting JVM";
                JsonNode child = runChild(system, scenarios, out, log, prefix);
                if (child == null) {
                    failures.add(Map.of(
                            "system",
                            system,
                            "scenario",
                            scenarios.get(0).id(),
                            "error",
                            "its JVM failed; see bench.log"));
                    continue;
                }
                results.addAll(
                        Payloads.MAPPER.convertValue(child.get("results"), new TypeReference<List<Result>>() {}));
                failures.addAll(Payloads.MAPPER.convertValue(
                        child.get("failures"), new TypeReference<List<Map<String, String>>>() {}));
            }
        }
        if (settings.scenarios().contains(Scenario.CLUSTER)) {
            settings.cluster()
                    .ifPresent(uri -> notes.add("cluster: the cluster half ran on the cluster given by --redis, "
                            + uri.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@") + ", not on one the bench started"));
        }
        if (settings.scenarios().size() < Scenario.values().length) {
            notes.add("scenarios run: "
                    + settings.scenarios().stream().map(Scenario::id).collect(Collectors.joining(", ")));
        }
        // Every figure with its ratio to the plain design measured in this run, in results.json as in results.md.
        List<Result> figures = PlainRatios.add(results);
        machine.put("load_average_at_end", Environment.loadAverage());
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        status = "writing results";
        ObjectNode json = Payloads.MAPPER.createObjectNode();
        json.set("machine", Payloads.MAPPER.valueToTree(machine));
        json.set("versions", Payloads.MAPPER.valueToTree(versions));
        json.put("commit", commit);
        json.put("started_at", startedAt.toString());
        json.put("duration_s", elapsed.toSeconds());
        json.put("mode", settings.quick() ? "quick" : "full");
        json.set("results", Payloads.MAPPER.valueToTree(figures));
        json.set("failures", Payloads.MAPPER.valueToTree(failures));
        json.set("notes", Payloads.MAPPER.valueToTree(notes));
        Path resultsFile = out.resolve("results.json");
        Payloads.MAPPER.writerWithDefaultPrettyPrinter().writeValue(resultsFile.toFile(), json);
        Path tableFile = out.resolve("results.md");
        Files.writeString(tableFile, Tables.markdown(figures), StandardCharsets.UTF_8);
        Path chartFile = out.resolve("bench.png");
        Charts.writePng(
                figures,
                "agentbus bench " + (settings.quick() ? "--quick" : "full run") + ", commit "
                        + commit.substring(0, Math.min(12, commit.length())) + ", " + machine.get("cores")
                        + " cores, Redis "
                        + versions.get("redis") + ", " + versions.get("java") + ", load at start "
                        + machine.get("load_average_at_start"),
                chartFile);
        status = "done";
        return new BenchReport(resultsFile, tableFile, chartFile, figures, failures, notes, elapsed);
    }

    private void directThroughputRounds(
            Plan plan,
            List<String> systems,
            Path out,
            PrintWriter log,
            List<Result> results,
            List<Map<String, String>> failures)
            throws IOException, InterruptedException {
        List<String> runners = systems.stream()
                .filter(system -> !Systems.isRedisBenchmark(system) && Systems.runs(system, Scenario.DIRECT_THROUGHPUT))
                .toList();
        Map<String, List<Result>> bySystem = new java.util.LinkedHashMap<>();
        for (int round = 1; round <= plan.directRounds(); round++) {
            for (String system : runners) {
                String prefix = "direct-throughput round " + round + "/" + plan.directRounds() + ", " + system + ": ";
                status = prefix + "starting JVM";
                JsonNode child = runChild(system, List.of(Scenario.DIRECT_THROUGHPUT), out, log, prefix);
                if (child == null) {
                    failures.add(Map.of(
                            "system",
                            system,
                            "scenario",
                            Scenario.DIRECT_THROUGHPUT.id(),
                            "error",
                            "its JVM failed in round " + round + "; see bench.log"));
                    continue;
                }
                failures.addAll(Payloads.MAPPER.convertValue(
                        child.get("failures"), new TypeReference<List<Map<String, String>>>() {}));
                bySystem.computeIfAbsent(system, s -> new ArrayList<>())
                        .addAll(Payloads.MAPPER.convertValue(
                                child.get("results"), new TypeReference<List<Result>>() {}));
            }
        }
        bySystem.forEach((system, runs) -> {
            List<Result> sorted = new ArrayList<>(runs);
            sorted.sort(java.util.Comparator.comparingDouble(Result::value));
            Result median = sorted.get(sorted.size() / 2);
            Map<String, Object> params = new java.util.LinkedHashMap<>(median.params());
            params.put("runs", runs.size());
            params.put("runs_msgs_per_s", runs.stream().map(Result::value).toList());
            results.add(new Result(system, median.scenario(), median.metric(), median.value(), params));
        });
    }

    private void runInProcess(
            String system,
            List<Scenario> scenarios,
            String prefix,
            PrintWriter log,
            List<Result> results,
            List<Map<String, String>> failures) {
        Status running = new Status();
        status = prefix;
        inProcess = running;
        try {
            SystemRun run = new SystemRun(
                    Systems.adapter(system),
                    Plan.of(settings.quick()),
                    running,
                    line -> {
                        log.println(line);
                        log.flush();
                    },
                    settings.cluster());
            run.run(scenarios);
            results.addAll(run.results());
            failures.addAll(run.failures());
        } finally {
            inProcess = null;
        }
    }

    private void runRedisBenchmark(
            String system,
            List<Scenario> scenarios,
            String prefix,
            List<Result> results,
            List<Map<String, String>> failures) {
        Status benchmarkStatus = new Status() {
            @Override
            void phase(String phase) {
                status = prefix + phase;
            }
        };
        try {
            results.addAll(new RedisBenchmark(Plan.of(settings.quick()), benchmarkStatus).run(system, scenarios));
        } catch (Exception e) {
            failures.add(SystemRun.failure(system, scenarios.get(0), e));
        }
    }

    /** Runs {@link SystemMain} for one system; returns what it wrote, or null if its JVM failed. */
    private JsonNode runChild(String system, List<Scenario> scenarios, Path out, PrintWriter log, String prefix)
            throws IOException, InterruptedException {
        Path resultFile = Files.createTempFile(out, "results-" + system + "-", ".json");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(CHILD_JVM);
        if (settings.jfr() && system.equals(AgentBusSystem.NAME)) {
            command.add("-XX:StartFlightRecording=filename=" + out.resolve("agentbus.jfr")
                    + ",settings=profile,dumponexit=true");
        }
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                SystemMain.class.getName(),
                system,
                settings.quick() ? "quick" : "full",
                scenarios.stream().map(Scenario::id).collect(Collectors.joining(",")),
                resultFile.toString()));
        log.println("== " + system + ": " + String.join(" ", command.subList(0, command.indexOf("-cp"))) + " … "
                + String.join(" ", command.subList(command.size() - 4, command.size())));
        log.flush();
        long childStart = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(SystemMain.CLUSTER_ENV);
        settings.cluster().ifPresent(uri -> builder.environment().put(SystemMain.CLUSTER_ENV, uri));
        Process process = builder.start();
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith(SystemMain.STATUS_PREFIX)) {
                    status = prefix + line.substring(SystemMain.STATUS_PREFIX.length());
                } else {
                    log.println(line);
                    log.flush();
                }
            }
        }
        int exit = process.waitFor();
        log.printf(Locale.ROOT, "== %s done in %.1f s%n", system, (System.nanoTime() - childStart) / 1e9);
        try {
            if (exit != 0 || Files.size(resultFile) == 0) {
                log.println("== " + system + " exited with status " + exit);
                return null;
            }
            return Payloads.MAPPER.readTree(resultFile.toFile());
        } finally {
            Files.deleteIfExists(resultFile);
        }
    }

    /**
     * Runs the bench without the agentbus command: {@code [--quick] [--out DIR] [--systems a,b] [--jfr]
     * [--redis redis-cluster://…] [SCENARIO…]}. Prints the tables to stdout.
     */
    public static void main(String[] args) throws Exception {
        List<Scenario> scenarios = new ArrayList<>();
        List<String> systems = new ArrayList<>();
        boolean quick = false;
        boolean jfr = false;
        Path out = Path.of(BenchSettings.DEFAULT_OUT);
        java.util.Optional<String> cluster = java.util.Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--redis" ->
                    cluster = java.util.Optional.of(args[++i])
                            .filter(uri -> uri.startsWith(BenchSettings.CLUSTER_SCHEME));
                case "--quick" -> quick = true;
                case "--jfr" -> jfr = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--systems" -> systems.addAll(List.of(args[++i].split(",")));
                default -> scenarios.add(Scenario.of(args[i]));
            }
        }
        Bench bench = new Bench(new BenchSettings(scenarios, quick, out, systems, jfr, cluster));
        BenchReport report = bench.run();
        System.out.println(Files.readString(report.tableFile()));
        report.failures().forEach(failure -> System.err.println("failed: " + failure));
        System.out.println("results: " + report.resultsFile() + "\nchart: " + report.chartFile());
    }
}
