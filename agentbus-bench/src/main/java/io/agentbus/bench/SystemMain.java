package io.agentbus.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs one system's scenarios in a JVM of its own, so that no system inherits another's JIT profile,
 * heap or threads: {@code SystemMain <system> <quick|full> <scenario,…> <out.json>}. Prints its status as
 * {@code @@ <status>} lines on stdout for the parent's progress display and writes the results and
 * failures to {@code out.json}. The cluster scenario's {@code redis-cluster://} URI, if the user gave one,
 * comes in the environment variable {@value #CLUSTER_ENV}, so that no password shows in bench.log or ps.
 */
public final class SystemMain {

    static final String STATUS_PREFIX = "@@ ";
    static final String CLUSTER_ENV = "AGENTBUS_BENCH_CLUSTER";

    private SystemMain() {}

    public static void main(String[] args) throws Exception {
        String system = args[0];
        Plan plan = Plan.of(args[1].equals("quick"));
        List<Scenario> scenarios =
                Arrays.stream(args[2].split(",")).map(Scenario::of).toList();
        Path out = Path.of(args[3]);
        Status status = new Status();
        PrintStream stdout = System.out;
        Thread reporter = new Thread(
                () -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        stdout.println(STATUS_PREFIX + status);
                        stdout.flush();
                        try {
                            Thread.sleep(250);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "bench-status");
        reporter.setDaemon(true);
        reporter.start();

        SystemRun run = new SystemRun(
                Systems.adapter(system),
                plan,
                status,
                System.err::println,
                java.util.Optional.ofNullable(System.getenv(CLUSTER_ENV)).filter(uri -> !uri.isBlank()));
        run.run(scenarios);
        List<Result> results = new ArrayList<>(run.results());
        List<Map<String, String>> failures = new ArrayList<>(run.failures());
        ObjectNode json = Payloads.MAPPER.createObjectNode();
        json.set("results", Payloads.MAPPER.valueToTree(results));
        json.set("failures", Payloads.MAPPER.valueToTree(failures));
        Payloads.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), json);
        reporter.interrupt();
        // Some clients leave non-daemon threads behind after shutdown; this JVM's work is done.
        System.exit(0);
    }
}
