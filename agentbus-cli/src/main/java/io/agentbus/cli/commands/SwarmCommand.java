package io.agentbus.cli.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.agentbus.AgentBus;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.CommandGroup;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
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

    private static final ObjectMapper MAPPER = new ObjectMapper();

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

    /** The JSON of a swarm's line: swarm, interrupted, coordinator, version, last_checkpoint {label, version, at}. */
    static ObjectNode json(Swarms.Info info) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("swarm", info.swarm());
        json.put("interrupted", info.interrupted());
        json.put("coordinator", info.coordinator().orElse(null));
        json.put("version", info.state().map(Swarms.State::version).orElse(null));
        info.lastCheckpoint()
                .ifPresentOrElse(
                        checkpoint -> json.set("last_checkpoint", checkpoint(checkpoint, false)),
                        () -> json.putNull("last_checkpoint"));
        return json;
    }

    private static ObjectNode checkpoint(Swarms.Checkpoint checkpoint, boolean withState) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("label", checkpoint.label());
        json.put("version", checkpoint.version());
        json.put("at", checkpoint.at().toString());
        if (withState) {
            json.set("state", stateJson(checkpoint.json()));
        }
        return json;
    }

    /** The state as JSON if it is, else as text: a state is whatever JSON the swarm wrote. */
    private static JsonNode stateJson(String state) {
        try {
            return MAPPER.readTree(state);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(state);
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = {
                "One line per swarm: <id> active coordinator=<c>|interrupted version=<v> last_checkpoint=<label>@<time>"
            },
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {
                ExitCodes.OK + ":Listed (also when there is none).",
                ExitCodes.FAILED_HELP,
                ExitCodes.REDIS_NOT_GIVEN_HELP
            })
    static final class ListSwarms implements Callable<Integer> {
        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Mixin
        private JsonOption json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (AgentBus bus = connection.openExisting()) {
                bus.swarms().list().forEach(info -> out.println(json.requested() ? json(info) : line(info)));
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
            exitCodeList = {
                ExitCodes.OK + ":Shown.",
                ExitCodes.NOT_FOUND + ":No such swarm.",
                ExitCodes.FAILED_HELP,
                ExitCodes.REDIS_NOT_GIVEN_HELP
            })
    static final class Show implements Callable<Integer> {
        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The swarm.")
        private String id;

        @Mixin
        private JsonOption json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (AgentBus bus = connection.openExisting()) {
                var info = bus.swarms().show(id);
                if (info.isEmpty()) {
                    spec.commandLine().getErr().println("agentbus: no swarm " + id);
                    return ExitCodes.NOT_FOUND;
                }
                if (json.requested()) {
                    ObjectNode shown = json(info.get());
                    shown.set(
                            "state",
                            info.get()
                                    .state()
                                    .map(state -> stateJson(state.json()))
                                    .orElse(null));
                    ArrayNode checkpoints = shown.putArray("checkpoints");
                    bus.swarms().checkpoints(id).forEach(checkpoint -> checkpoints.add(checkpoint(checkpoint, true)));
                    out.println(shown);
                    out.flush();
                    return ExitCodes.OK;
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
                ExitCodes.FAILED_HELP,
                ExitCodes.REDIS_NOT_GIVEN_HELP
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
            try (AgentBus bus = connection.openExisting()) {
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
