package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
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

    private static final ObjectMapper MAPPER = new ObjectMapper();

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

    @ArgGroup(multiplicity = "1")
    private Payload payload;

    /** Where the payload comes from: the command line is limited (128 KiB per argument on Linux). */
    static final class Payload {
        @Option(
                names = "--payload",
                paramLabel = "JSON",
                description =
                        "The payload: a JSON object, e.g. '{\"brief\":\"launch post\"}'; - reads it" + " from stdin.")
        private String text;

        @Option(names = "--payload-file", paramLabel = "FILE", description = "Read the payload from FILE (UTF-8).")
        private Path file;

        String read() {
            try {
                if (file != null) {
                    return Files.readString(file, StandardCharsets.UTF_8);
                }
                if ("-".equals(text)) {
                    return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
                }
                return text;
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read the payload from " + (file != null ? file : "stdin") + ": " + e, e);
            }
        }
    }

    @Option(
            names = "--message-id",
            paramLabel = "ID",
            description = "The message_id; default: a new random one. Sending again with the same id within the"
                    + " dedup window stores nothing new: a safe retry after a send that timed out.")
    private String messageId;

    @Option(
            names = "--priority",
            paramLabel = "P",
            defaultValue = "normal",
            description = "1-9 (higher is more urgent) or low, normal, high, urgent, critical."
                    + " Default: ${DEFAULT-VALUE}.")
    private String priority;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        // Built before connecting: a bad field is reported without touching Redis.
        Envelope.Builder builder = Envelope.builder()
                .from(from)
                .to(to)
                .type(type)
                .payload(payload.read())
                .priority(priority);
        if (messageId != null) {
            builder.messageId(messageId);
        }
        Envelope envelope = builder.build();
        try (AgentBus bus = connection.open()) {
            SendReceipt receipt = bus.sync().send(envelope);
            spec.commandLine()
                    .getOut()
                    .println(
                            json.requested()
                                    ? MAPPER.createObjectNode()
                                            .put(
                                                    "message_id",
                                                    receipt.messageId().value())
                                            .put("entry_id", receipt.entryId())
                                            .put("duplicate", receipt.duplicate())
                                    : receipt.messageId());
            if (receipt.duplicate()) {
                spec.commandLine()
                        .getErr()
                        .println("agentbus: " + receipt.messageId() + " was already sent within the dedup window;"
                                + " nothing new was stored");
            }
        }
        return ExitCodes.OK;
    }
}
