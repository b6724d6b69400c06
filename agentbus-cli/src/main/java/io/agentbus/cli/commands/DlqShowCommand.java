package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DeadLetterFormat;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.deadletter.DeadLetter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus dlq show}: everything about one dead letter. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = {
            "Show one of AGENT's dead letters in full: why and when it failed, after how many attempts, in"
                    + " which consumer, and every field of the original inbox entry, the payload pretty-printed"
                    + " if it is JSON."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Shown.",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.NOT_FOUND + ":AGENT has no such dead letter."
        })
final class DlqShowCommand implements Callable<Integer> {

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose dead letter to show.")
    private String agent;

    @Parameters(
            index = "1",
            paramLabel = "ID",
            description = "A dead-letter entry id (as dlq list prints it) or a message_id.")
    private String id;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        AgentId agentId = AgentId.of(agent);
        Optional<DeadLetter> found;
        try (AgentBus bus = connection.openExisting()) {
            found = bus.deadLetters(agentId).find(id);
        }
        if (found.isEmpty()) {
            spec.commandLine()
                    .getErr()
                    .println("agentbus: " + agentId + " has no dead letter with entry id or message_id '" + id + "'");
            spec.commandLine().getErr().flush();
            return ExitCodes.NOT_FOUND;
        }
        spec.commandLine()
                .getOut()
                .println(json.requested() ? DeadLetterFormat.json(found.get()) : DeadLetterFormat.full(found.get()));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
