package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code agentbus audit}: the audit trail of sends, outcomes, redrives and decisions. Work is in the subcommands. */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = {
            "Read the audit trail: every send, delivery outcome (acked, retried, dead_lettered, expired),"
                    + " redrive and recorded decision, kept in capped streams per agent (audit:messages:{agent},"
                    + " audit:decisions:{agent})."},
        subcommands = {AuditTailCommand.class, AuditReplayCommand.class})
final class AuditCommand implements Runnable {

    @ParentCommand
    private AgentBusCommand agentbus;

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The bus of the global {@code --redis} option, with default settings; the caller closes it. */
    AgentBus connect(CommandSpec subcommand) {
        return agentbus.connect(BusOptions.defaults(), subcommand.commandLine().getErr());
    }
}
