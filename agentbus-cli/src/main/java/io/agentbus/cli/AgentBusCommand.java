package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code agentbus} command: the global {@code --redis} option and the subcommands. Run it with
 * {@link #main}, or in-process through {@link #newCommandLine()}, which is configured the same way.
 */
@Command(
        name = "agentbus",
        mixinStandardHelpOptions = true,
        versionProvider = AgentBusCommand.Version.class,
        description = "Talk to the agents of a multi-agent system over Redis.",
        subcommands = {
            DemoCommand.class,
            SendCommand.class,
            ReceiveCommand.class,
            InboxCommand.class,
            DlqCommand.class,
            PublishCommand.class,
            WatchCommand.class,
            RequestCommand.class,
            AuditCommand.class,
            AgentsCommand.class,
            SwarmCommand.class,
            StatsCommand.class,
            ServerCommand.class,
            BenchCommand.class
        })
public final class AgentBusCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--redis",
            paramLabel = "URI",
            scope = ScopeType.INHERIT,
            defaultValue = "${env:AGENTBUS_REDIS_URL}",
            description = {
                "Redis to use, e.g. redis://localhost:6379 or rediss://user:password@host:6380/0.",
                "Default: the environment variable AGENTBUS_REDIS_URL; without it, a private redis-server"
                        + " on a free loopback port, started for this command and stopped when it exits."
            })
    private String redisUri;

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The command line as {@link #main} runs it: expected failures become one-line messages and exit codes. */
    public static CommandLine newCommandLine() {
        return new CommandLine(new AgentBusCommand()).setExecutionExceptionHandler(new ExpectedFailures());
    }

    /** Without a subcommand there is nothing to do: say so, with the usage, as a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /**
     * Opens the bus that {@code --redis} or {@code AGENTBUS_REDIS_URL} names, else an embedded one,
     * announced on {@code err} because its data vanishes when the command ends. The caller closes it.
     */
    AgentBus connect(BusOptions options, PrintWriter err) {
        if (redisUri != null && !redisUri.isBlank()) {
            return AgentBus.connect(redisUri, options);
        }
        AgentBus bus = AgentBus.embedded(options);
        err.printf("agentbus: embedded Redis %s at %s (stopped on exit)%n", bus.serverVersion(), bus.redisUri());
        err.flush();
        return bus;
    }

    /** The Redis that {@code --redis} or {@code AGENTBUS_REDIS_URL} names, if any. */
    Optional<String> redisUri() {
        return redisUri == null || redisUri.isBlank() ? Optional.empty() : Optional.of(redisUri);
    }

    /** The version from the jar's manifest, which the build writes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = AgentBusCommand.class.getPackage().getImplementationVersion();
            return new String[] {"agentbus " + (version != null ? version : "(development build, not from a jar)")};
        }
    }
}
