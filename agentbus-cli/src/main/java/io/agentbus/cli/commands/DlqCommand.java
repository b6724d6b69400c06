package io.agentbus.cli.commands;

import io.agentbus.cli.CommandGroup;
import picocli.CommandLine.Command;

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
                    + " attempt, and inbox entries that are not valid envelopes."
        },
        subcommands = {DlqListCommand.class, DlqShowCommand.class, DlqRedriveCommand.class, DlqPurgeCommand.class})
public final class DlqCommand extends CommandGroup {}
