package io.agentbus.cli.commands;

import io.agentbus.cli.CommandGroup;
import picocli.CommandLine.Command;

/** {@code agentbus acl}: Redis ACL users for agents. The work is in the subcommands. */
@Command(
        name = "acl",
        mixinStandardHelpOptions = true,
        description = {
            "Redis ACL users for agents (Redis 7.0+): one user per agent, which may consume only that"
                    + " agent's own inbox (docs/SECURITY.md, Per-agent users)."
        },
        subcommands = {AclProvisionCommand.class})
public final class AclCommand extends CommandGroup {}
