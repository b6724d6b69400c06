package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentbus send}: one direct message into an agent's inbox; prints its message id. */
@Command(
        name = "send",
        mixinStandardHelpOptions = true,
        description = "Send one message to an agent's inbox and print its message_id.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Sent; the message_id is on stdout.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
public final class SendCommand implements Callable<Integer> {

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "AGENT", description = "The sender (from_agent).")
    private String from;

    @Option(names = "--to", required = true, paramLabel = "AGENT", description = "The recipient (to_agent).")
    private String to;

    @Option(
            names = "--type",
            required = true,
            paramLabel = "TYPE",
            description = "The message_type, e.g. task_assignment.")
    private String type;

    @Option(
            names = "--payload",
            required = true,
            paramLabel = "JSON",
            description = "The payload: a JSON object, e.g. '{\"brief\":\"launch post\"}'.")
    private String payload;

    @Option(
            names = "--priority",
            paramLabel = "P",
            defaultValue = "normal",
            description = "1-9 (higher is more urgent) or low, normal, high, urgent, critical."
                    + " Default: ${DEFAULT-VALUE}.")
    private String priority;

    @Override
    public Integer call() {
        // Built before connecting: a bad field is reported without touching Redis.
        Envelope envelope = Envelope.builder()
                .from(from)
                .to(to)
                .type(type)
                .payload(payload)
                .priority(priority)
                .build();
        try (AgentBus bus = connection.open()) {
            SendReceipt receipt = bus.sync().send(envelope);
            spec.commandLine().getOut().println(receipt.messageId());
        }
        return ExitCodes.OK;
    }
}
