package io.agentbus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code audit}, {@code dlq}, {@code swarm}): run alone it is
 * a usage error. It takes the global {@code --redis} option too ({@code agentbus dlq --redis URI list}).
 */
public abstract class CommandGroup implements Runnable {

    @Mixin
    private BusConnection connection; // only for --redis given here; the subcommands open the bus

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to do: say so, with the usage, as a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
