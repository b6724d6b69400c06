package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.cli.AgentLookup;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.HumanDuration;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus inbox}: the figures of one agent's inbox, read without taking any message; {@code inbox
 * peek} shows the messages themselves.
 */
@Command(
        name = "inbox",
        mixinStandardHelpOptions = true,
        description = {
            "Show AGENT's inbox: entries, pending (delivered, not yet acknowledged), the consumers"
                    + " (running or crashed instances) with their pending entries and idle time, the age of"
                    + " the oldest pending entry, whether the consumer group exists (AGENT subscribed"
                    + " at least once), and how many dead letters and delayed messages AGENT has.",
            "inbox peek AGENT shows the messages (for an agent named peek: inbox -- peek)."
        },
        subcommands = InboxPeekCommand.class,
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Shown.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.UNKNOWN_AGENT_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP
        })
public final class InboxCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    // Optional for picocli, so that "inbox peek AGENT" parses; required by call().
    @Parameters(index = "0", arity = "0..1", paramLabel = "AGENT", description = "The agent id whose inbox to show.")
    private String agent;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        if (agent == null) {
            throw new ParameterException(spec.commandLine(), "Missing required parameter: 'AGENT'");
        }
        AgentId id = AgentId.of(agent);
        InboxStats stats;
        try (AgentBus bus = connection.openExisting()) {
            stats = bus.sync().inbox(id);
            AgentLookup.require(bus, id, stats);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(json.requested() ? asJson(stats) : asText(stats));
        return ExitCodes.OK;
    }

    private static String asText(InboxStats stats) {
        StringBuilder text = new StringBuilder()
                .append("inbox of ")
                .append(stats.agent())
                .append('\n')
                .append("  length          ")
                .append(stats.length())
                .append('\n')
                .append("  pending         ")
                .append(stats.pending())
                .append('\n')
                .append("  oldest pending  ")
                .append(stats.oldestPendingAge()
                        .map(age -> HumanDuration.format(age) + " ago")
                        .orElse("-"))
                .append('\n')
                .append("  group exists    ")
                .append(stats.groupExists() ? "yes" : "no")
                .append('\n')
                .append("  dead letters    ")
                .append(stats.deadLetters())
                .append('\n')
                .append("  delayed         ")
                .append(stats.delayed())
                .append('\n')
                .append("  consumers       ")
                .append(stats.consumers().size());
        for (InboxStats.ConsumerStats consumer : stats.consumers()) {
            text.append("\n    ")
                    .append(consumer.name())
                    .append("  pending ")
                    .append(consumer.pending())
                    .append("  idle ")
                    .append(HumanDuration.format(consumer.idle()));
        }
        return text.toString();
    }

    private static String asJson(InboxStats stats) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", stats.agent().value());
        json.put("length", stats.length());
        json.put("pending", stats.pending());
        json.put("group_exists", stats.groupExists());
        json.put("dead_letters", stats.deadLetters());
        json.put("delayed", stats.delayed());
        stats.oldestPendingAge()
                .ifPresentOrElse(
                        age -> json.put("oldest_pending_age_ms", age.toMillis()),
                        () -> json.putNull("oldest_pending_age_ms"));
        ArrayNode consumers = json.putArray("consumers");
        for (InboxStats.ConsumerStats consumer : stats.consumers()) {
            consumers
                    .addObject()
                    .put("name", consumer.name())
                    .put("pending", consumer.pending())
                    .put("idle_ms", consumer.idle().toMillis());
        }
        return json.toString();
    }
}
