package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.CommandGroup;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.swarm.Swarms;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus swarm list|show|recover}: swarm state, coordinators and recovery of interrupted swarms. */
@Command(
        name = "swarm",
        mixinStandardHelpOptions = true,
        description = {
            "Swarms: their state version, coordinator and last checkpoint; recover an interrupted one"
                    + " (its coordinator stopped heartbeating) from its last checkpoint."
        },
        subcommands = {SwarmCommand.ListSwarms.class, SwarmCommand.Show.class, SwarmCommand.Recover.class})
public final class SwarmCommand extends CommandGroup {

    static final String DEFAULT_COORDINATOR_TTL = "30s";

    static String line(Swarms.Info info) {
        return info.swarm() + " "
                + (info.interrupted()
                        ? "interrupted"
                        : "active coordinator=" + info.coordinator().orElse("?"))
                + " version="
                + info.state().map(Swarms.State::version).map(String::valueOf).orElse("-")
                + " last_checkpoint="
                + info.lastCheckpoint().map(c -> c.label() + "@" + c.at()).orElse("-");
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = {
                "One line per swarm: <id> active coordinator=<c>|interrupted version=<v> last_checkpoint=<label>@<time>"
            })
    static final class ListSwarms implements Callable<Integer> {
        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (AgentBus bus = connection.open()) {
                bus.swarms().list().forEach(info -> out.println(line(info)));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = {"The swarm's line as in list, its state JSON and its checkpoints, newest first."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {ExitCodes.OK + ":Shown.", ExitCodes.NOT_FOUND + ":No such swarm.", ExitCodes.FAILED_HELP})
    static final class Show implements Callable<Integer> {
        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The swarm.")
        private String id;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (AgentBus bus = connection.open()) {
                var info = bus.swarms().show(id);
                if (info.isEmpty()) {
                    spec.commandLine().getErr().println("agentbus: no swarm " + id);
                    return ExitCodes.NOT_FOUND;
                }
                out.println(line(info.get()));
                info.get().state().ifPresent(state -> out.println("state " + state.json()));
                for (Swarms.Checkpoint checkpoint : bus.swarms().checkpoints(id)) {
                    out.println("checkpoint " + checkpoint.label() + " version=" + checkpoint.version() + " at="
                            + checkpoint.at() + " " + checkpoint.json());
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "recover",
            mixinStandardHelpOptions = true,
            description = {
                "Resume an interrupted swarm: restore its last checkpoint as the next state version and"
                        + " become its coordinator. Prints resumed_from=<label> version=<v>."
            },
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {
                ExitCodes.OK + ":Recovered.",
                ExitCodes.INVALID_INPUT + ":Not interrupted, no checkpoint, or no such swarm.",
                ExitCodes.FAILED_HELP
            })
    static final class Recover implements Callable<Integer> {
        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The swarm.")
        private String id;

        @Option(
                names = "--coordinator",
                paramLabel = "AGENT",
                defaultValue = "cli-recovery",
                description = "Who coordinates the swarm from now on. Default: ${DEFAULT-VALUE}.")
        private String coordinator;

        @Option(
                names = "--ttl",
                paramLabel = "DURATION",
                converter = DurationConverter.class,
                defaultValue = DEFAULT_COORDINATOR_TTL,
                description =
                        "How long the new coordinator's claim lasts without a heartbeat. Default: ${DEFAULT-VALUE}.")
        private Duration ttl;

        @Override
        public Integer call() {
            try (AgentBus bus = connection.open()) {
                Swarms.Checkpoint resumed;
                try {
                    resumed = bus.swarms().recover(id, coordinator, ttl);
                } catch (IllegalStateException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                long version = bus.swarms().read(id).map(Swarms.State::version).orElse(0L);
                spec.commandLine().getOut().println("resumed_from=" + resumed.label() + " version=" + version);
                spec.commandLine().getOut().flush();
            }
            return ExitCodes.OK;
        }
    }
}
