package io.agentbus.cli;

import io.agentbus.cli.commands.AclCommand;
import io.agentbus.cli.commands.AgentsCommand;
import io.agentbus.cli.commands.AuditCommand;
import io.agentbus.cli.commands.BenchCommand;
import io.agentbus.cli.commands.DlqCommand;
import io.agentbus.cli.commands.InboxCommand;
import io.agentbus.cli.commands.PublishCommand;
import io.agentbus.cli.commands.ReceiveCommand;
import io.agentbus.cli.commands.RequestCommand;
import io.agentbus.cli.commands.SendCommand;
import io.agentbus.cli.commands.ServeCommand;
import io.agentbus.cli.commands.StatsCommand;
import io.agentbus.cli.commands.SwarmCommand;
import io.agentbus.cli.commands.WatchCommand;
import io.agentbus.cli.demo.DemoCommand;
import io.agentbus.cli.server.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code agentbus} command: the global {@code --redis} option and the subcommands. Run it with
 * {@link #main}, or in-process through {@link #newCommandLine()}, which is configured the same way.
 */
@Command(
        name = "agentbus",
        mixinStandardHelpOptions = true,
        versionProvider = AgentBusCommand.Version.class,
        // The description of --json per command (JsonOption).
        resourceBundle = "io.agentbus.cli.help",
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
            AclCommand.class,
            ServeCommand.class,
            ServerCommand.class,
            BenchCommand.class
        })
public final class AgentBusCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Keeps the value of {@code --redis} for every command's {@link BusConnection}. */
    @Mixin
    BusConnection connection;

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The command line as {@link #main} runs it: expected failures become one-line messages and exit codes. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new AgentBusCommand());
        CommandLine.IParameterExceptionHandler usage = commandLine.getParameterExceptionHandler();
        return commandLine
                .setExecutionExceptionHandler(new ExpectedFailures())
                .setParameterExceptionHandler((error, args) -> badValueInOneLine(error, args, usage));
    }

    /**
     * A value that does not convert (a number, a duration) is one line and a hint, not the whole usage,
     * which would bury the line that says what was wrong; other usage errors show the usage as picocli does.
     */
    private static int badValueInOneLine(
            CommandLine.ParameterException error, String[] args, CommandLine.IParameterExceptionHandler usage)
            throws Exception {
        if (error.getCause() == null) {
            return usage.handleParseException(error, args);
        }
        CommandLine command = error.getCommandLine();
        command.getErr().println("agentbus: " + error.getMessage());
        command.getErr().println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
        command.getErr().flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Without a subcommand there is nothing to do: say so, with the usage, as a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
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
