package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentbus audit replay}: re-send a conversation into a sandbox namespace. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Send the messages of conversation C again, in their original order, into the sandbox NAMESPACE:"
                    + " every agent id a of the messages becomes NAMESPACE.a, so they land in new inboxes"
                    + " (agent:{NAMESPACE.a}:inbox) and production's are not touched. Run the agents under the"
                    + " sandbox ids to re-run the conversation. Prints replayed=N."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Replayed (also when nothing matched).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
final class AuditReplayCommand implements Callable<Integer> {

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--conversation", paramLabel = "C", required = true, description = "The conversation_id to replay.")
    private String conversation;

    @Option(
            names = "--into",
            paramLabel = "NAMESPACE",
            required = true,
            description = "The sandbox prefix for agent ids; letters, digits, '_', '.', '-'.")
    private String namespace;

    @Override
    public Integer call() {
        int replayed;
        try (AgentBus bus = connection.openExisting()) {
            replayed = bus.audit().replay(conversation, namespace);
        }
        spec.commandLine().getOut().println("replayed=" + replayed);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
