package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
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
            "Show AGENT's inbox: its status (ok, idle, backlog, stuck; failing is judged over time by stats and"
                    + " the server), entries retained (handled ones too, until trimmed), unread (the backlog) and"
                    + " the age of the oldest, pending (delivered, not yet acknowledged) and the age of the oldest,"
                    + " overdue (pending past the visibility timeout), the consumers (running instances, or dead"
                    + " ones left by crashed instances) with their pending entries and idle time, whether the"
                    + " consumer group exists (AGENT subscribed at least once), and how many dead letters and"
                    + " delayed messages AGENT has.",
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
        boolean live;
        try (AgentBus bus = connection.openExisting()) {
            stats = bus.sync().inbox(id);
            AgentLookup.require(bus, id, stats);
            live = bus.registry().isLive(id);
        }
        AgentStatus status = AgentStatus.of(stats, live, false);
        PrintWriter out = spec.commandLine().getOut();
        out.println(json.requested() ? asJson(stats, status, live) : asText(stats, status, live));
        return ExitCodes.OK;
    }

    private static String asText(InboxStats stats, AgentStatus status, boolean live) {
        StringBuilder text = new StringBuilder()
                .append("inbox of ")
                .append(stats.agent())
                .append('\n')
                .append("  status          ")
                .append(status.label())
                .append(live ? " (running)" : " (no running instance)")
                .append('\n')
                .append("  retained        ")
                .append(stats.length())
                .append('\n')
                .append("  unread          ")
                .append(stats.unread())
                .append('\n')
                .append("  oldest unread   ")
                .append(stats.oldestUnreadAge()
                        .map(age -> HumanDuration.format(age) + " ago")
                        .orElse("-"))
                .append('\n')
                .append("  pending         ")
                .append(stats.pending())
                .append('\n')
                .append("  oldest pending  ")
                .append(stats.oldestPendingAge()
                        .map(age -> HumanDuration.format(age) + " ago")
                        .orElse("-"))
                .append('\n')
                .append("  overdue         ")
                .append(stats.overdue())
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
                    .append(HumanDuration.format(consumer.idle()))
                    .append(consumer.live() ? "" : "  dead");
        }
        return text.toString();
    }

    private static String asJson(InboxStats stats, AgentStatus status, boolean live) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", stats.agent().value());
        json.put("status", status.label());
        json.put("live", live);
        json.put("length", stats.length());
        json.put("unread", stats.unread());
        stats.oldestUnreadAge()
                .ifPresentOrElse(
                        age -> json.put("oldest_unread_age_ms", age.toMillis()),
                        () -> json.putNull("oldest_unread_age_ms"));
        json.put("pending", stats.pending());
        json.put("overdue", stats.overdue());
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
                    .put("idle_ms", consumer.idle().toMillis())
                    .put("live", consumer.live());
        }
        return json.toString();
    }
}
