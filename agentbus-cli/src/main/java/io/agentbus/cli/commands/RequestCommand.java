package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Delivery;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestTimeoutException;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus request}: sends a request to an agent and prints its reply. The reply comes to the
 * requester's inbox, so the command runs an instance of the requester while it waits.
 */
@Command(
        name = "request",
        mixinStandardHelpOptions = true,
        description = {
            "Send a request to AGENT (--to) and wait for the reply; print the reply as receive prints a" + " message.",
            "The request carries reply_to, the requester (--from), and the reply comes to the requester's"
                    + " inbox with the request's message_id as its correlation_id; so while it waits, this"
                    + " command runs one instance of the requester, reading one message at a time. The default"
                    + " requester is a fresh id, cli-<8 hex digits>, a temporary agent: its keys are deleted when"
                    + " the command exits, and expire --requester-ttl after it was killed; it is not listed in"
                    + " agents:known. Given an agent that other processes run, this command competes with them for its"
                    + " messages while it waits: one it reads that is not its reply is handed back unhandled,"
                    + " for a retry, which costs that message one delivery attempt.",
            "The responder answers with AgentBus.serve or Delivery.reply; the bus names the reply's type"
                    + " <TYPE>.reply."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":The reply came; it is on stdout.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.INCOMPLETE + ":No reply within --timeout; the request may still be handled.",
            ExitCodes.NOT_FOUND + ":No responders: AGENT never had a running instance; nothing was sent."
        })
public final class RequestCommand implements Callable<Integer> {

    static final String DEFAULT_TIMEOUT = "5s";
    static final String DEFAULT_REQUESTER_TTL = "30s";

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--to", required = true, paramLabel = "AGENT", description = "The responder (to_agent).")
    private String to;

    @Option(
            names = "--type",
            required = true,
            paramLabel = "TYPE",
            description = "The message_type, e.g. review_request.")
    private String type;

    @Option(
            names = "--payload",
            required = true,
            paramLabel = "JSON",
            description = "The payload: a JSON object, e.g. '{\"draft\":\"Launch day!\"}'.")
    private String payload;

    @Option(
            names = "--from",
            paramLabel = "AGENT",
            description = "The requester (from_agent and reply_to). Default: a fresh cli-<8 hex digits>.")
    private String from;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = DEFAULT_TIMEOUT,
            converter = DurationConverter.class,
            description = "How long to wait for the reply: " + DurationConverter.FORMS + ". Default: ${DEFAULT-VALUE}.")
    private Duration timeout;

    @Option(
            names = "--requester-ttl",
            paramLabel = "DURATION",
            defaultValue = DEFAULT_REQUESTER_TTL,
            converter = DurationConverter.class,
            description = "How long the keys of the default cli-<hex> requester outlive this command if it is killed"
                    + " (renewed while it waits; deleted at once on a normal exit): " + DurationConverter.FORMS
                    + ", at least 100ms. Not used with --from. Default: ${DEFAULT-VALUE}.")
    private Duration requesterTtl;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() throws InterruptedException {
        if (timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be > 0, was 0");
        }
        AgentId requester = from != null ? AgentId.of(from) : freshRequester();
        // A made-up requester is temporary: its keys expire (DeliveryOptions.expireAfter), so that a
        // command killed with SIGKILL leaves nothing for ever; an agent named by --from is the caller's.
        if (requesterTtl.toMillis() < 100) {
            throw new IllegalArgumentException("--requester-ttl must be >= 100ms, was " + requesterTtl);
        }
        // Built before connecting: a bad field is reported without touching Redis.
        Envelope request = Envelope.builder()
                .from(requester)
                .to(to)
                .type(type)
                .payload(payload)
                .build();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // One message read at a time: if the requester has other messages, take as few as possible.
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        DeliveryOptions delivery = from != null
                ? options.delivery()
                : options.delivery().mutate().expireAfter(requesterTtl).build();
        try (AgentBus bus = connection.open(options)) {
            bus.subscribe(requester, delivery, message -> handBack(message, err));
            Envelope reply;
            try {
                // Bounded: the bus fails the request with RequestTimeoutException after the timeout.
                reply = bus.request(request, timeout).toCompletableFuture().get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                boolean noResponders = cause instanceof RecipientUnavailableException unavailable
                        && unavailable.reason() == RecipientUnavailableException.Reason.NO_RESPONDERS;
                if (noResponders || cause instanceof RequestTimeoutException) {
                    err.println("agentbus: " + cause.getMessage());
                    return noResponders ? ExitCodes.NOT_FOUND : ExitCodes.INCOMPLETE;
                }
                throw cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
            }
            out.println((json.requested() ? DeliveryFormat.JSON : DeliveryFormat.HUMAN).format(reply));
            return ExitCodes.OK;
        }
    }

    /** A message to the requester that is not the reply: not this command's to handle. */
    private static void handBack(Delivery delivery, PrintWriter err) {
        err.println("agentbus: handed back " + delivery.envelope().messageId() + " ("
                + delivery.envelope().messageType() + " from "
                + delivery.envelope().fromAgent()
                + "), a message to " + delivery.envelope().toAgent() + " that is not the reply");
        err.flush();
        delivery.retryIn(Duration.ZERO);
    }

    private static AgentId freshRequester() {
        return AgentId.of(
                "cli-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    }
}
