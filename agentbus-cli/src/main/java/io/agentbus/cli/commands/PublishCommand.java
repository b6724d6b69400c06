package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code agentbus publish}: one ephemeral broadcast on a Redis Pub/Sub channel; prints its receipt. */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
            "Publish an ephemeral broadcast on CHANNEL and print receivers=N sequence=S message_id=ID.",
            "Only those listening at that moment get it (agentbus watch, AgentBus.listen); nothing is stored."
                    + " receivers is what Redis counts: the connections that got the message, one per listening"
                    + " bus (a process), however many agents listen through it. With receivers=0 nobody"
                    + " listened and the message is gone: stderr says so, and the exit code is still 0."
                    + " On a cluster (redis-cluster://) receivers counts only the buses listening through the node"
                    + " that ran the PUBLISH (the cluster forwards it to the others), so 0 proves nothing there."
                    + " sequence is the publisher's counter on the channel, from which listeners count what they"
                    + " missed; every run of this command is a new publisher, so it prints 1."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Published, even if nobody listened (receivers=0).",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
public final class PublishCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The sender ({@code from_agent}) of a broadcast published without {@code --from}. */
    public static final String DEFAULT_FROM = "cli";

    static final String DEFAULT_TO = "all";

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "CHANNEL",
            description = "The channel, e.g. events:marketing:task_assigned: 1-256 printable ASCII characters.")
    private String channel;

    @Option(
            names = "--type",
            required = true,
            paramLabel = "TYPE",
            description = "The message_type, e.g. task_assigned.")
    private String type;

    @Option(
            names = "--payload",
            required = true,
            paramLabel = "JSON",
            description = "The payload: a JSON object, e.g. '{\"task\":\"launch post\"}'.")
    private String payload;

    @Option(
            names = "--from",
            paramLabel = "AGENT",
            defaultValue = DEFAULT_FROM,
            description = "The publisher (from_agent). Default: ${DEFAULT-VALUE}.")
    private String from;

    @Option(
            names = "--to",
            paramLabel = "AGENT",
            defaultValue = DEFAULT_TO,
            description = "The to_agent field, which every envelope has; a broadcast reaches whoever listens"
                    + " on CHANNEL whatever it says, so it only tells them whom the message is about."
                    + " Default: ${DEFAULT-VALUE}.")
    private String to;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        // Built before connecting: a bad field is reported without touching Redis.
        Envelope message =
                Envelope.builder().from(from).to(to).type(type).payload(payload).build();
        PublishReceipt receipt;
        boolean cluster;
        try (AgentBus bus = connection.open()) {
            cluster = bus.redisUri().startsWith("redis-cluster://");
            // Bounded by the bus's command timeout. SyncAgentBus has no publish, so unwrapped here.
            receipt = bus.publish(channel, message).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        if (json.requested()) {
            spec.commandLine()
                    .getOut()
                    .println(MAPPER.createObjectNode()
                            .put("receivers", receipt.receivers())
                            .put("sequence", receipt.sequence())
                            .put("message_id", receipt.messageId().value()));
        } else {
            spec.commandLine()
                    .getOut()
                    .printf(
                            "receivers=%d sequence=%d message_id=%s%n",
                            receipt.receivers(), receipt.sequence(), receipt.messageId());
        }
        // On a cluster PUBLISH counts the subscribers of the node that ran it only: 0 is no loss there.
        if (receipt.receivers() == 0 && !cluster) {
            spec.commandLine()
                    .getErr()
                    .println("agentbus: nobody listened on " + channel + "; the broadcast is gone (nothing stores it)");
        }
        return ExitCodes.OK;
    }
}
