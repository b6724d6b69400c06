package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus dlq}: the dead letters of one agent ({@code agent:{id}:dlq}), the messages its
 * instances gave up on or could not read. The work is in the subcommands.
 */
@Command(
        name = "dlq",
        mixinStandardHelpOptions = true,
        description = {
            "List, inspect, redrive and purge an agent's dead letters: messages its handlers rejected"
                    + " (Delivery.deadLetter), threw NonRetryableException for, or failed on every allowed"
                    + " attempt, and inbox entries that are not valid envelopes."},
        subcommands = {DlqListCommand.class, DlqShowCommand.class, DlqRedriveCommand.class, DlqPurgeCommand.class})
final class DlqCommand implements Runnable {

    @ParentCommand
    private AgentBusCommand agentbus;

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to do: say so, with the usage, as a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The bus of the global {@code --redis} option, with default settings; the caller closes it. */
    AgentBus connect(CommandSpec subcommand) {
        return agentbus.connect(BusOptions.defaults(), subcommand.commandLine().getErr());
    }
}
