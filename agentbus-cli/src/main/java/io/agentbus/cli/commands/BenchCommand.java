package io.agentbus.cli.commands;

import io.agentbus.bench.Bench;
import io.agentbus.bench.BenchReport;
import io.agentbus.bench.BenchSettings;
import io.agentbus.bench.Scenario;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.ProgressLine;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus bench}: the side-by-side benchmark of agentbus-bench ({@link Bench}), with a progress
 * line on stderr and the result tables on stdout.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measure agentbus side by side with raw Lettuce, Redisson, Spring Data Redis, Jedis, the seed's"
                    + " LPUSH/BRPOP design and redis-benchmark, each system in a JVM of its own and each"
                    + " measurement on a fresh private redis-server (same binary, no persistence, loopback)."
                    + " --redis is ignored: the bench starts its own servers.",
            "Writes results.json (every figure, with machine, JDK, Redis version and commit), results.md"
                    + " (tables with ratios to raw Lettuce and to the best peer) and bench.png to --out."
                    + " The full run takes 10-15 minutes on 2 cores; --quick under a minute.",
            "Compare systems within one run: absolute figures move with whatever else the machine does."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Every system ran every scenario it takes part in.",
            ExitCodes.FAILED + ":Some system failed in some scenario (see results.json and bench.log).",
            ExitCodes.INVALID_INPUT + ":Invalid input: unknown scenario or system."
        })
public final class BenchCommand implements Callable<Integer> {

    private static final Duration PROGRESS_PERIOD = Duration.ofMillis(250);

    @Mixin
    private BusConnection connection; // ignored, as the description says: the bench starts its own servers

    @Spec
    private CommandSpec spec;

    @Parameters(
            paramLabel = "SCENARIO",
            arity = "0..*",
            description = "Scenarios to run: direct-throughput, direct-latency, fan-in, payload-size, broadcast"
                    + " (pub/sub to 1, 10, 100 subscribers), durable-topic (1, 10, 100 subscriber groups),"
                    + " request-reply (1, 10, 100 round trips in flight). Default: all.")
    private List<String> scenarios = new ArrayList<>();

    @Option(
            names = "--quick",
            description = "A CI-sized run (under a minute): fewer messages, 2 s of latency at"
                    + " 1,000 msg/s only, fan-in at 1 and 10 agents, broadcast and durable-topic at 10 subscribers, request-reply at 10 in flight."
                    + " Its figures are for checking the harness, not for quoting.")
    private boolean quick;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = BenchSettings.DEFAULT_OUT,
            description = "Directory for results.json, results.md, bench.png and bench.log. Default: ${DEFAULT-VALUE}.")
    private Path out;

    @Option(
            names = "--systems",
            paramLabel = "SYSTEM",
            split = ",",
            description = "Run only these systems, comma-separated: agentbus, agentbus-metered (agentbus with a"
                    + " Prometheus registry), lettuce-raw, redisson, spring-data-redis,"
                    + " jedis, seed-lists, redis-benchmark-p1, redis-benchmark-p16. Default: all.")
    private List<String> systems = new ArrayList<>();

    @Option(names = "--jfr", description = "Record a JFR profile of the agentbus JVM to DIR/agentbus.jfr.")
    private boolean jfr;

    @Override
    public Integer call() throws Exception {
        List<Scenario> selected = scenarios.stream().map(Scenario::of).toList();
        Bench bench = new Bench(new BenchSettings(selected, quick, out, systems, jfr));
        PrintWriter err = spec.commandLine().getErr();
        BenchReport report;
        ProgressLine progress = new ProgressLine(err, bench::status, PROGRESS_PERIOD);
        try {
            report = bench.run();
        } finally {
            progress.close();
        }
        spec.commandLine().getOut().print(Files.readString(report.tableFile()));
        spec.commandLine().getOut().flush();
        report.notes().forEach(note -> err.println("agentbus: note: " + note));
        report.failures()
                .forEach(failure -> err.println("agentbus: failed: " + failure.get("system") + " in "
                        + failure.get("scenario") + ": " + failure.get("error")));
        err.printf(
                "agentbus: %s, %s and %s written in %d s%n",
                report.resultsFile(),
                report.tableFile(),
                report.chartFile(),
                report.elapsed().toSeconds());
        err.flush();
        return report.failures().isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
