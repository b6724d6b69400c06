package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code audit}, {@code dlq}, {@code swarm}): run alone it is
 * a usage error, and it opens the bus of the global {@code --redis} option for its subcommands.
 */
abstract class CommandGroup implements Runnable {

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
