package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.HumanDuration;
import io.agentbus.cli.JsonOption;
import io.agentbus.cli.MessageRate;
import io.agentbus.swarm.Swarms;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code agentbus stats}: the figures of {@code /api/stats} in the terminal. */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = {
            "Print the figures of the whole bus, as the dashboard of agentbus server shows them: one row per known"
                    + " agent (ever sent to or subscribed) with its status (ok, idle, backlog: unread and no running"
                    + " instance, stuck: an entry held past the visibility timeout, failing: dead letters rising),"
                    + " its inbox (entries retained, unread and the age of the oldest unread, pending and the age"
                    + " of the oldest pending, such as 5s or 1m30s, dead letters, delayed, consumers) and its counters (sent, acked, retried,"
                    + " dead_lettered, expired, redriven, deduplicated), the totals, the message rate, the live"
                    + " agents and the swarms.",
            "The counters are kept in Redis by every process, so they cover the whole bus. The rate (messages"
                    + " sent and acked per second) comes from two samples " + BusStatsSnapshot.SAMPLE_PERIOD_MS
                    + " ms apart, so the command takes that long."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Printed (also when there is no agent).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
public final class StatsCommand implements Callable<Integer> {

    private static final String[] COLUMNS = {
        "status",
        "live",
        "retained",
        "unread",
        "oldest_unread",
        "pending",
        "oldest_pending",
        "dead",
        "delayed",
        "consumers",
        "sent",
        "acked",
        "retried",
        "dead_lettered",
        "expired",
        "redriven",
        "deduplicated"
    };

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() throws InterruptedException {
        BusStatsSnapshot first;
        BusStatsSnapshot second;
        try (AgentBus bus = connection.openExisting()) {
            first = BusStatsSnapshot.take(bus);
            Thread.sleep(BusStatsSnapshot.SAMPLE_PERIOD_MS);
            second = BusStatsSnapshot.take(bus);
        }
        MessageRate rate = MessageRate.between(first, second);
        PrintWriter out = spec.commandLine().getOut();
        Set<AgentId> failing = second.deadLettersRoseSince(first);
        out.println(json.requested() ? second.toJson(rate, failing).toString() : table(second, rate, failing));
        out.flush();
        return ExitCodes.OK;
    }

    private static String table(BusStatsSnapshot stats, MessageRate rate, Set<AgentId> failing) {
        Set<AgentId> live = stats.liveIds();
        Map<AgentId, AgentStatus> statuses = stats.statuses(failing);
        List<List<String>> rows = new ArrayList<>();
        for (InboxStats inbox : stats.inboxes()) {
            rows.add(row(
                    inbox.agent().value(),
                    statuses.get(inbox.agent()).label(),
                    live.contains(inbox.agent()) ? "yes" : "no",
                    inbox.length(),
                    inbox.unread(),
                    age(inbox.oldestUnreadAge()),
                    inbox.pending(),
                    age(inbox.oldestPendingAge()),
                    inbox.deadLetters(),
                    inbox.delayed(),
                    inbox.consumers().size(),
                    inbox.counters()));
        }
        rows.add(row(
                "total",
                "-",
                Integer.toString(live.size()),
                stats.sum(InboxStats::length),
                stats.sum(InboxStats::unread),
                "-",
                stats.sum(InboxStats::pending),
                "-",
                stats.sum(InboxStats::deadLetters),
                stats.sum(InboxStats::delayed),
                stats.inboxes().stream()
                        .mapToInt(inbox -> inbox.consumers().size())
                        .sum(),
                stats.totalCounters()));
        int agentWidth = Math.max(
                "agent".length(),
                rows.stream().mapToInt(row -> row.get(0).length()).max().orElse(0));
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-" + agentWidth + "s", "agent"));
        for (String column : COLUMNS) {
            text.append("  ").append(column);
        }
        for (List<String> row : rows) {
            text.append('\n').append(String.format(Locale.ROOT, "%-" + agentWidth + "s", row.get(0)));
            for (int i = 0; i < COLUMNS.length; i++) {
                text.append("  ").append(String.format(Locale.ROOT, "%" + COLUMNS[i].length() + "s", row.get(i + 1)));
            }
        }
        stats.errors()
                .forEach((agent, error) -> text.append('\n')
                        .append(agent.value())
                        .append("  cannot be read: ")
                        .append(error));
        text.append(String.format(
                Locale.ROOT,
                "%nrate  %.1f sent/s  %.1f acked/s  (over %s)",
                rate.sentPerSecond(),
                rate.ackedPerSecond(),
                HumanDuration.format(rate.window())));
        text.append("\nlive agents (")
                .append(stats.live().size())
                .append("): ")
                .append(stats.live().stream()
                        .map(card -> card.id() + (card.role().isEmpty() ? "" : " (" + card.role() + ")"))
                        .collect(Collectors.joining(", ")));
        text.append("\nswarms (")
                .append(stats.swarms().size())
                .append("): ")
                .append(stats.swarms().stream().map(StatsCommand::swarm).collect(Collectors.joining(", ")));
        return text.toString();
    }

    private static String age(Optional<Duration> age) {
        return age.map(HumanDuration::format).orElse("-");
    }

    private static List<String> row(
            String agent,
            String status,
            String live,
            long length,
            long unread,
            String oldestUnread,
            long pending,
            String oldestPending,
            long dead,
            long delayed,
            int consumers,
            InboxStats.Counters c) {
        return List.of(
                agent,
                status,
                live,
                Long.toString(length),
                Long.toString(unread),
                oldestUnread,
                Long.toString(pending),
                oldestPending,
                Long.toString(dead),
                Long.toString(delayed),
                Integer.toString(consumers),
                Long.toString(c.sent()),
                Long.toString(c.acked()),
                Long.toString(c.retried()),
                Long.toString(c.deadLettered()),
                Long.toString(c.expired()),
                Long.toString(c.redriven()),
                Long.toString(c.deduplicated()));
    }

    private static String swarm(Swarms.Info info) {
        return info.swarm()
                + (info.interrupted()
                        ? " interrupted"
                        : " coordinator=" + info.coordinator().orElse("-")) + " version="
                + info.state().map(Swarms.State::version).orElse(0L);
    }
}
