package io.agentbus.cli;

import io.agentbus.cli.commands.AclCommand;
import io.agentbus.cli.commands.AgentsCommand;
import io.agentbus.cli.commands.AuditCommand;
import io.agentbus.cli.commands.BenchCommand;
import io.agentbus.cli.commands.CheckCommand;
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
        // Every command's help names code 1 and points here for the codes of a failed connect.
        exitCodeListHeading = "Exit codes of a failed connect (any command):%n",
        exitCodeList = {
            ExitCodes.WRONG_PASSWORD + ":Redis refused the password (WRONGPASS).",
            ExitCodes.USER_REJECTED + ":Redis refused the user: unknown, disabled or wrong password (WRONGPASS).",
            ExitCodes.PASSWORD_REQUIRED + ":Redis requires a password and none was given (NOAUTH).",
            ExitCodes.PERMISSION_DENIED + ":The user may not run a command the bus connects with (NOPERM).",
            ExitCodes.TLS_UNTRUSTED + ":TLS: the server's certificate is not signed by a trusted CA (--tls-ca).",
            ExitCodes.TLS_HOSTNAME_MISMATCH + ":TLS: the certificate does not name the host (--tls-server-name).",
            ExitCodes.TLS_CLIENT_CERT_REQUIRED + ":TLS: the server requires a client certificate (--tls-cert).",
            ExitCodes.PLAINTEXT_TO_TLS_PORT + ":redis:// to a port that speaks TLS: use rediss://.",
            ExitCodes.TLS_TO_PLAINTEXT_PORT + ":rediss:// to a port that speaks plaintext.",
            ExitCodes.TLS_FAILED + ":TLS handshake failed for another reason.",
            ExitCodes.CONNECTION_REFUSED + ":Connection refused: nothing listens at the host and port.",
            ExitCodes.CONNECT_TIMEOUT + ":No answer within the connect timeout.",
            ExitCodes.HOST_NOT_FOUND + ":The host name does not resolve (DNS)."
        },
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
            CheckCommand.class,
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
