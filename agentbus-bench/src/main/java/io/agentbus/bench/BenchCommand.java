package io.agentbus.bench;

import io.agentbus.cli.ProgressLine;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus bench}: the side-by-side benchmark ({@link Bench}), with a progress line on stderr and the
 * result tables on stdout. It is the main class of this module's runnable jar,
 * {@code agentbus-bench/target/agentbus-bench-all.jar}, which the {@code ./agentbus} launcher runs for
 * {@code ./agentbus bench}: the bench's peers (Redisson, Spring Data Redis, Jedis) stay out of the
 * {@code agentbus} command's jar.
 */
@Command(
        name = "agentbus bench",
        mixinStandardHelpOptions = true,
        versionProvider = BenchCommand.Version.class,
        description = {
            "Measure agentbus side by side with the plain stream design on Lettuce, raw Lettuce, Redisson, Spring"
                    + " Data Redis, Jedis, the seed's LPUSH/BRPOP design and redis-benchmark, each system in a JVM"
                    + " of its own and each"
                    + " measurement on a fresh private redis-server (same binary, no persistence, loopback)."
                    + " The cluster scenario also starts a loopback Redis Cluster (3 masters, 3 replicas; needs"
                    + " redis-cli on PATH) unless --redis names a redis-cluster:// URI; any other --redis is"
                    + " ignored: the bench starts its own servers.",
            "Writes results.json (every figure with its ratio to lettuce-plain, and machine, JDK, Redis version"
                    + " and commit), results.md (tables with ratios to lettuce-plain, the plain design every ratio is"
                    + " taken against, to lettuce-raw, which runs agentbus's own scripts, and to the best peer) and"
                    + " bench.png to --out."
                    + " The full run takes about 35 minutes on 2 cores; --quick about 2 minutes.",
            "Compare systems within one run: absolute figures move with whatever else the machine does."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            BenchCommand.OK + ":Every system ran every scenario it takes part in.",
            BenchCommand.FAILED + ":Some system failed in some scenario (see results.json and bench.log).",
            BenchCommand.INVALID_INPUT + ":Invalid input: unknown scenario or system."
        })
public final class BenchCommand implements Callable<Integer> {

    /** Exit code: every system ran every scenario it takes part in. */
    public static final int OK = 0;

    /** Exit code: some system failed in some scenario. */
    public static final int FAILED = 1;

    /** Exit code: an unknown scenario or system, or another usage error; the code picocli gives those. */
    public static final int INVALID_INPUT = CommandLine.ExitCode.USAGE;

    private static final Duration PROGRESS_PERIOD = Duration.ofMillis(250);

    @Spec
    private CommandSpec spec;

    @Parameters(
            paramLabel = "SCENARIO",
            arity = "0..*",
            description = "Scenarios to run: direct-throughput, direct-latency, fan-in, payload-size, backlog-drain"
                    + " (100,000 messages queued with no consumer, then one consumer started: drain rate and time to"
                    + " empty), department (15 agents in 3 processes sending to each other, at 1,000 msg/s and"
                    + " as fast as they are handled: msg/s and latency), broadcast"
                    + " (pub/sub to 1, 10, 100 subscribers), durable-topic (1, 10, 100 subscriber groups),"
                    + " request-reply (1, 10, 100 round trips in flight), cluster (direct throughput to 1,000"
                    + " agents on one server and on a 3-master cluster, with connections and messages per"
                    + " master; agentbus only). Default: all.")
    private List<String> scenarios = new ArrayList<>();

    @Option(
            names = "--quick",
            description = "A CI-sized run (about 2 minutes): fewer messages, 2 s of latency at"
                    + " 1,000 msg/s only, fan-in at 1 and 10 agents, a backlog of 10,000, department runs of 5 s,"
                    + " broadcast and durable-topic at 10 subscribers, request-reply at 10 in flight,"
                    + " cluster at 100 agents."
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
                    + " Prometheus registry), agentbus-no-audit (agentbus with auditCap(0)), lettuce-plain (XADD, XREADGROUP, XACK: no scripts), lettuce-raw"
                    + " (agentbus's scripts on raw Lettuce), redisson, spring-data-redis,"
                    + " jedis, seed-lists, redis-benchmark-p1, redis-benchmark-p16. Default: all.")
    private List<String> systems = new ArrayList<>();

    @Option(names = "--jfr", description = "Record a JFR profile of the agentbus JVM to DIR/agentbus.jfr.")
    private boolean jfr;

    @Option(
            names = "--redis",
            paramLabel = "URI",
            description = {
                "A redis-cluster://[user:password@]host:port,... URI: the cluster scenario measures its cluster"
                        + " half there (with fresh agent ids, whose keys it leaves behind) instead of starting a"
                        + " cluster. Any other URI is ignored: the bench starts its own servers. Accepted, before"
                        + " or after bench, because every agentbus command takes it."
            })
    private String redisUri;

    /**
     * Runs the bench with the arguments that follow {@code agentbus bench} (a {@code --redis URI} may be
     * among them) and exits the JVM with its exit code.
     */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The command line as {@link #main} runs it: an unknown scenario or system is a one-line usage error. */
    public static CommandLine newCommandLine() {
        return new CommandLine(new BenchCommand()).setExecutionExceptionHandler((failure, command, parseResult) -> {
            if (!(failure instanceof IllegalArgumentException)) {
                throw failure;
            }
            command.getErr().println("agentbus: " + failure.getMessage());
            command.getErr().flush();
            return INVALID_INPUT;
        });
    }

    @Override
    public Integer call() throws Exception {
        List<Scenario> selected = scenarios.stream().map(Scenario::of).toList();
        Optional<String> cluster =
                Optional.ofNullable(redisUri).filter(uri -> uri.startsWith(BenchSettings.CLUSTER_SCHEME));
        Bench bench = new Bench(new BenchSettings(selected, quick, out, systems, jfr, cluster));
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
        return report.failures().isEmpty() ? OK : FAILED;
    }

    /** The version from the jar's manifest, which the build writes, as {@code agentbus --version} prints it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = BenchCommand.class.getPackage().getImplementationVersion();
            return new String[] {"agentbus " + (version != null ? version : "(development build, not from a jar)")};
        }
    }
}
