package io.agentbus.cli.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentbus agents}: the live agents and their cards; {@code agents watch} for joins and leaves. */
@Command(
        name = "agents",
        mixinStandardHelpOptions = true,
        description = {
            "List the live agents (at least one running instance, by heartbeat) with their cards, one line each:",
            "  <id> <role> <version> capabilities=<c1,c2,...>",
            "With --capability C, only those whose card lists C: \"who can do C?\"."
        },
        subcommands = {AgentsCommand.Watch.class},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Listed (also when there is none).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
public final class AgentsCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--capability", paramLabel = "C", description = "Only agents whose card lists capability C.")
    private String capability;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        List<AgentCard> cards;
        try (AgentBus bus = connection.openExisting()) {
            AgentRegistry registry = bus.registry();
            cards = capability == null ? registry.live() : registry.withCapability(capability);
        }
        PrintWriter out = spec.commandLine().getOut();
        for (AgentCard card : cards) {
            out.println(
                    json.requested()
                            ? json(card)
                            : card.id() + " " + orDash(card.role()) + " " + orDash(card.version()) + " capabilities="
                                    + String.join(",", new TreeSet<>(card.capabilities())));
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String orDash(String text) {
        return text.isEmpty() ? "-" : text;
    }

    private static String json(AgentCard card) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("id", card.id().value());
        object.put("role", card.role());
        object.put("version", card.version());
        object.put("description", card.description());
        object.put("capabilities", new TreeSet<>(card.capabilities()));
        object.put("metadata", card.metadata());
        try {
            return MAPPER.writeValueAsString(object);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cards are always JSON", e);
        }
    }

    /** {@code agentbus agents watch}: one line per agent joining or leaving. */
    @Command(
            name = "watch",
            mixinStandardHelpOptions = true,
            description = {
                "Print one line per agent joining (first live instance) or leaving (last instance"
                        + " stopped or expired): \"joined <id>\" or \"left <id>\", until interrupted."
            },
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {ExitCodes.OK + ":Stopped.", ExitCodes.FAILED_HELP, ExitCodes.REDIS_NOT_GIVEN_HELP})
    static final class Watch implements Callable<Integer> {

        @Mixin
        private BusConnection connection;

        @Spec
        private CommandSpec spec;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
        private Integer count;

        @Option(
                names = "--timeout",
                paramLabel = "DURATION",
                converter = DurationConverter.class,
                description = "Stop after DURATION (" + DurationConverter.FORMS + ").")
        private Duration timeout;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            CountDownLatch done = new CountDownLatch(count == null ? Integer.MAX_VALUE : count);
            try (AgentBus bus = connection.openExisting();
                    AutoCloseable watching = bus.registry().watch(event -> {
                        synchronized (out) {
                            out.println((event.joined() ? "joined " : "left ") + event.agent());
                            out.flush();
                        }
                        done.countDown();
                    })) {
                if (timeout == null) {
                    done.await();
                } else {
                    done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            return ExitCodes.OK;
        }
    }
}
