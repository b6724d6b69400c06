package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.cli.ProgressLine;
import io.agentbus.cli.Redriven;
import io.agentbus.deadletter.DeadLetters;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus dlq redrive}: moves dead letters back into the agent's inbox. */
@Command(
        name = "redrive",
        mixinStandardHelpOptions = true,
        description = {
            "Move dead letters of AGENT back into its inbox, as new entries whose attempt count starts again"
                    + " at 1; a running instance of AGENT then receives them. Give the IDs to redrive or --all,"
                    + " not both. Prints redriven=N.",
            "With --all, the dead letters present when it starts are moved in batches, with their progress on"
                    + " stderr; a message that fails again meanwhile is not redriven twice."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Redriven (with --all, also when there was nothing to redrive).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT + ":Invalid input: neither IDs nor --all, or both; a bad option or agent id.",
            ExitCodes.NOT_FOUND + ":Some IDs are not dead letters of AGENT; the others were redriven."
        })
final class DlqRedriveCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Duration PROGRESS_PERIOD = Duration.ofMillis(250);

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose dead letters to redrive.")
    private String agent;

    @Parameters(
            index = "1..*",
            paramLabel = "ID",
            description = "Dead-letter entry ids (as dlq list prints them) or message_ids.")
    private List<String> ids = new ArrayList<>();

    @Option(names = "--all", description = "Redrive every dead letter of AGENT.")
    private boolean all;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        if (all == !ids.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    all ? "Give the IDs to redrive or --all, not both" : "Give the IDs to redrive, or --all");
        }
        AgentId agentId = AgentId.of(agent);
        try (AgentBus bus = connection.openExisting()) {
            DeadLetters deadLetters = bus.deadLetters(agentId);
            return all ? redriveAll(deadLetters) : redriveIds(deadLetters);
        }
    }

    private int redriveAll(DeadLetters deadLetters) {
        long total = deadLetters.count();
        AtomicLong moved = new AtomicLong();
        long start = System.nanoTime();
        long redriven;
        try (ProgressLine progress = new ProgressLine(
                spec.commandLine().getErr(), () -> progress(moved.get(), total, start), PROGRESS_PERIOD)) {
            redriven = deadLetters.redriveAll(moved::set);
            moved.set(redriven);
        }
        printRedriven(redriven, List.of());
        return ExitCodes.OK;
    }

    private int redriveIds(DeadLetters deadLetters) {
        Redriven result = Redriven.byIds(deadLetters, ids);
        if (!result.missing().isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("agentbus: " + deadLetters.agent() + " has no dead letter with entry id or message_id "
                    + String.join(", ", result.missing()));
            err.flush();
        }
        printRedriven(result.count(), result.missing());
        return result.missing().isEmpty() ? ExitCodes.OK : ExitCodes.NOT_FOUND;
    }

    private void printRedriven(long redriven, List<String> missing) {
        if (json.requested()) {
            ObjectNode line = MAPPER.createObjectNode().put("redriven", redriven);
            missing.forEach(line.putArray("missing")::add);
            spec.commandLine().getOut().println(line);
        } else {
            spec.commandLine().getOut().println("redriven=" + redriven);
        }
        spec.commandLine().getOut().flush();
    }

    private static String progress(long moved, long total, long startNanos) {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        return String.format(Locale.ROOT, "redriven %d/%d  %.0f/s", moved, total, moved / seconds);
    }
}
