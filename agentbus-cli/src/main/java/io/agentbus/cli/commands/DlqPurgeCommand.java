package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.deadletter.DeadLetters;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus dlq purge}: deletes an agent's dead letters, all or the old ones. */
@Command(
        name = "purge",
        mixinStandardHelpOptions = true,
        description = {
            "Delete AGENT's dead letters for good: all of them, or with --older-than only those dead-lettered"
                    + " longer ago than DURATION (by the Redis server's clock). Prints purged=N."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Purged (also when there was nothing to purge).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT + ":Invalid input: a bad DURATION, option or agent id."
        })
final class DlqPurgeCommand implements Callable<Integer> {

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose dead letters to purge.")
    private String agent;

    @Option(
            names = "--older-than",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Only dead letters older than this: " + DurationConverter.FORMS + ".")
    private Duration olderThan;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        AgentId agentId = AgentId.of(agent);
        long purged;
        try (AgentBus bus = connection.openExisting()) {
            DeadLetters deadLetters = bus.deadLetters(agentId);
            purged = olderThan == null ? deadLetters.purge() : deadLetters.purgeOlderThan(olderThan);
        }
        spec.commandLine().getOut().println(json.requested() ? "{\"purged\":" + purged + "}" : "purged=" + purged);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
