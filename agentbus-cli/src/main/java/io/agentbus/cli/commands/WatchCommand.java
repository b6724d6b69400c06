package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.HumanDuration;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus watch}: prints the ephemeral broadcasts on the channels matching its patterns as
 * they come, until Ctrl-C, {@code --count} or {@code --timeout}.
 */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "Print the ephemeral broadcasts published on the channels that match PATTERN, one line per"
                    + " message, as they come: until Ctrl-C, or --count messages, or --timeout.",
            "A PATTERN is a channel, or a glob with * ? [...] as Redis PSUBSCRIBE reads it. Only broadcasts"
                    + " show (agentbus publish, AgentBus.publish): direct messages and durable topics are"
                    + " streams, not channels. A broadcast published while nobody watched is gone; one that"
                    + " matches several PATTERNs prints once. Stderr says what is watched."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":--count messages came, or the timeout passed when no --count was given.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.INCOMPLETE + ":The timeout passed before --count messages came."
        })
public final class WatchCommand implements Callable<Integer> {

    /** (channel, message id) pairs kept to print a message matched by several patterns once. */
    private static final int REMEMBERED = 10_000;

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "PATTERN",
            defaultValue = "*",
            description =
                    "Channels or glob patterns, e.g. events:marketing:*. Default: ${DEFAULT-VALUE}, every channel.")
    private List<String> patterns;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N messages. Default: no limit.")
    private Integer count;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Stop after this long: " + DurationConverter.FORMS + ". Default: no limit.")
    private Duration timeout;

    @Mixin
    private JsonOption json;

    private final Map<String, Boolean> printedRecently = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final CountDownLatch enough = new CountDownLatch(1);
    private PrintWriter out;
    private DeliveryFormat format;
    private int printed;

    @Override
    public Integer call() throws InterruptedException {
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, was " + count);
        }
        Set<String> distinct = new LinkedHashSet<>(patterns);
        out = spec.commandLine().getOut();
        format = json.requested() ? DeliveryFormat.JSON : DeliveryFormat.HUMAN;
        PrintWriter err = spec.commandLine().getErr();
        try (AgentBus bus = connection.open()) {
            for (String pattern : distinct) {
                bus.listen(pattern, this::print);
            }
            err.println("watching " + String.join(" ", distinct) + until());
            err.flush();
            if (timeout == null) {
                enough.await();
            } else {
                enough.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        synchronized (this) {
            return count != null && printed < count ? ExitCodes.INCOMPLETE : ExitCodes.OK;
        }
    }

    /** Called on the bus's handler threads, concurrently for different patterns. */
    private synchronized void print(String channel, Envelope message) {
        if (count != null && printed == count) {
            return; // enough already; the bus is closing
        }
        // Redis sends a message once per pattern it matches.
        if (printedRecently.put(channel + '\n' + message.messageId().value(), Boolean.TRUE) != null) {
            return;
        }
        out.println(format.format(channel, message));
        out.flush();
        printed++;
        if (count != null && printed == count) {
            enough.countDown();
        }
    }

    private String until() {
        if (count == null && timeout == null) {
            return " until Ctrl-C";
        }
        return " until " + (count != null ? count + " messages" : "") + (count != null && timeout != null ? " or " : "")
                + (timeout != null ? HumanDuration.format(timeout) + " passed" : "");
    }
}
