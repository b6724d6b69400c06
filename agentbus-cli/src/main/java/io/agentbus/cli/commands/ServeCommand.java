package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.RequestHandler;
import io.agentbus.Subscription;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.HumanDuration;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus serve}: runs one instance of an agent that answers every request with its own payload
 * or with a fixed one, printing each request. A responder to test requesters written in other languages
 * against, as {@code receive} is a consumer to test senders.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Answer requests as AGENT: print each request, reply to its reply_to with its correlation_id"
                    + " (type <request type>.reply), then acknowledge it.",
            "This is one more instance of AGENT: it competes with the agent's other running instances, and"
                    + " reads one message at a time. It runs until --count requests are answered, --timeout"
                    + " passes, or it is interrupted (Ctrl-C), and then finishes the request in hand. Once it"
                    + " answers, it says so on stderr (serving AGENT …).",
            "A request without reply_to is answered to its sender (from_agent)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":At least one request answered.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.INCOMPLETE + ":The timeout passed and no request came."
        })
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id to answer as.")
    private String agent;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Answer answer;

    /** What each reply carries: exactly one of the two. */
    static final class Answer {

        @Option(names = "--echo", required = true, description = "Reply with the request's own payload.")
        boolean echo;

        @Option(
                names = "--reply",
                required = true,
                paramLabel = "JSON",
                description = "Reply with this payload, a JSON object, e.g. '{\"verdict\":\"approved\"}'.")
        String reply;
    }

    @Option(names = "--count", paramLabel = "N", description = "Stop after N requests. Default: no limit.")
    private Integer count;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.SecondsByDefault.class,
            description = "Stop after this long: " + DurationConverter.SecondsByDefault.FORMS + ". Default: no limit.")
    private Duration timeout;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() throws InterruptedException {
        AgentId id = AgentId.of(agent);
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, was " + count);
        }
        String fixed = answer.echo ? null : checkedReply(answer.reply);
        DeliveryFormat format = json.requested() ? DeliveryFormat.JSON : DeliveryFormat.HUMAN;
        PrintWriter out = spec.commandLine().getOut();
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        AtomicInteger answered = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Subscription> self = new CompletableFuture<>();
        RequestHandler responder = request -> {
            out.println(format.format(request));
            out.flush();
            if (answered.incrementAndGet() == (count != null ? count : -1)) {
                // From its own handler, close() returns at once; the reply goes out as this handler returns.
                self.join().close();
                done.countDown();
            }
            return fixed != null ? fixed : request.envelope().payload();
        };
        try (AgentBus bus = connection.open(options)) {
            self.complete(bus.serve(id, responder));
            // On stderr, once requests reach this instance: what a test or a script waits for.
            PrintWriter err = spec.commandLine().getErr();
            err.println("serving " + id + (answer.echo ? " (echo)" : " (fixed reply)") + until());
            err.flush();
            // Ctrl-C or SIGTERM: BusConnection's exit hook closes the bus, finishing the request in hand.
            if (timeout == null) {
                done.await();
            } else {
                done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        return answered.get() > 0 ? ExitCodes.OK : ExitCodes.INCOMPLETE;
    }

    private String until() {
        if (count == null && timeout == null) {
            return " until interrupted";
        }
        return (count != null ? " for " + count + " request(s)" : "")
                + (timeout != null ? " for at most " + HumanDuration.format(timeout) : "");
    }

    /** The --reply payload, checked before connecting: a bad one is reported without touching Redis. */
    private static String checkedReply(String reply) {
        Envelope.builder()
                .from("serve")
                .to("serve")
                .type("check")
                .payload(reply)
                .build();
        return reply;
    }
}
