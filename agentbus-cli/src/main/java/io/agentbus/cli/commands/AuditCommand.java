package io.agentbus.cli.commands;

import io.agentbus.cli.CommandGroup;
import picocli.CommandLine.Command;

/** {@code agentbus audit}: the audit trail of sends, outcomes, redrives and decisions. Work is in the subcommands. */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = {
            "Read the audit trail: every send, delivery outcome (acked, retried, dead_lettered, expired),"
                    + " redrive and recorded decision, kept in capped streams per agent (audit:messages:{agent},"
                    + " audit:decisions:{agent})."
        },
        subcommands = {AuditTailCommand.class, AuditReplayCommand.class})
public final class AuditCommand extends CommandGroup {}
