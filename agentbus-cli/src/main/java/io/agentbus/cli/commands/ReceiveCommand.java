package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Subscription;
import io.agentbus.cli.AgentLookup;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus receive}: runs one instance of an agent that prints and acknowledges messages
 * until it has {@code --count} of them or {@code --timeout} passes.
 */
@Command(
        name = "receive",
        mixinStandardHelpOptions = true,
        description = {
            "Receive messages as AGENT: print each one, then acknowledge it.",
            "This is one more instance of AGENT: it competes with the agent's other running instances for"
                    + " the messages of its inbox, and reads one message at a time, so it never takes more"
                    + " than it prints.",
            "An AGENT that does not exist yet (never sent to or subscribed) may be a new one: receive waits for"
                    + " the first message to it without creating anything, so that a mistyped name leaves no"
                    + " agent behind; it subscribes (and so joins agents:known) once a message was sent to it."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":At least one message received.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.INCOMPLETE + ":The timeout passed and no message came."
        })
public final class ReceiveCommand implements Callable<Integer> {

    /** How often a receive for an agent that does not exist yet looks again. */
    private static final Duration AGENT_POLL = Duration.ofMillis(200);

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id to receive as.")
    private String agent;

    @Option(
            names = "--count",
            paramLabel = "N",
            defaultValue = "1",
            description = "Stop after N messages. Default: ${DEFAULT-VALUE}.")
    private int count;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = DurationConverter.SecondsByDefault.class,
            description = "Stop after this long, with the messages received by then: "
                    + DurationConverter.SecondsByDefault.FORMS + ". Default: ${DEFAULT-VALUE}.")
    private Duration timeout;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() throws InterruptedException {
        AgentId id = AgentId.of(agent);
        if (count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, was " + count);
        }
        DeliveryFormat format = json.requested() ? DeliveryFormat.JSON : DeliveryFormat.HUMAN;
        PrintWriter out = spec.commandLine().getOut();
        // One message read at a time: whatever is read is printed, nothing is held back unacknowledged.
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        AtomicInteger received = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Subscription> self = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (AgentBus bus = connection.open(options)) {
            if (!awaitAgent(bus, id, deadline)) {
                return ExitCodes.INCOMPLETE;
            }
            self.complete(bus.subscribe(id, delivery -> {
                out.println(format.format(delivery));
                out.flush();
                if (received.incrementAndGet() == count) {
                    // From its own handler, close() returns at once; this delivery is acked on return.
                    self.join().close();
                    done.countDown();
                }
            }));
            done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        // Counted after close: a message being handled when the timeout passed was printed and acked too.
        return received.get() > 0 ? ExitCodes.OK : ExitCodes.INCOMPLETE;
    }

    /**
     * Waits until {@code agent} exists, reading only: subscribing would create its inbox group and index
     * it in agents:known for ever. A message sent to it makes it exist (the send indexes it).
     *
     * @return false if the deadline passed first
     */
    private boolean awaitAgent(AgentBus bus, AgentId agent, long deadline) throws InterruptedException {
        if (AgentLookup.exists(bus, agent)) {
            return true;
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("agentbus: no agent " + agent + " yet; waiting for a message to it, creating nothing until then");
        err.flush();
        while (System.nanoTime() - deadline < 0) {
            Thread.sleep(Math.min(AGENT_POLL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            if (AgentLookup.exists(bus, agent)) {
                return true;
            }
        }
        return false;
    }
}
