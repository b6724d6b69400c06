package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.AgentLookup;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DeadLetterFormat;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus dlq list}: one line per dead letter of an agent, oldest first. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = {
            "List AGENT's dead letters, oldest first, one line each; their total goes to stderr.",
            "  <id> <failed-at> <reason> attempts=<n> <message_id> <message_type> <detail>",
            "The id is the dead-letter entry id, for show and redrive; message_id and message_type are - for an"
                    + " entry that is not a valid envelope; the detail is cut to one short line."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Listed (also when there is none).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.UNKNOWN_AGENT_HELP
        })
final class DlqListCommand implements Callable<Integer> {

    static final int DEFAULT_LIMIT = 100;

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose dead letters to list.")
    private String agent;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_LIMIT,
            description = "List at most the N oldest. Default: ${DEFAULT-VALUE}.")
    private int limit;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        AgentId id = AgentId.of(agent);
        if (limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, was " + limit);
        }
        long total;
        List<DeadLetter> listed;
        try (AgentBus bus = connection.openExisting()) {
            DeadLetters deadLetters = bus.deadLetters(id);
            total = deadLetters.count();
            if (total == 0) {
                AgentLookup.require(bus, id); // a typo must not read as "0 dead letters"
            }
            listed = total == 0 ? List.of() : deadLetters.list(limit);
        }
        PrintWriter out = spec.commandLine().getOut();
        for (DeadLetter dead : listed) {
            out.println(json.requested() ? DeadLetterFormat.json(dead) : DeadLetterFormat.line(dead));
        }
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        err.println(total
                + (total == 1 ? " dead letter of " : " dead letters of ")
                + id
                + (listed.size() < total ? ", the oldest " + listed.size() + " listed" : ""));
        err.flush();
        return ExitCodes.OK;
    }
}
