package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.HumanDuration;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus check}: one verdict on the bus for a monitoring probe, with the exit codes of a Nagios
 * plugin (as {@code nats server check}): 0 OK, 1 warning, 2 critical. The agents' verdicts are their
 * {@link AgentStatus}, the one judgement the dashboard, {@code stats} and the metrics also use.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {
            "Check the bus for a monitoring probe: Redis reachable with the rights the bus needs, the server's"
                    + " warnings (e.g. persistence weaker than the durability asked for), and every known agent's"
                    + " status (or those of --agent): stuck (an entry held past the visibility timeout) and"
                    + " backlog (unread messages and no running instance) are critical; failing (dead letters"
                    + " rising over the " + BusStatsSnapshot.SAMPLE_PERIOD_MS + " ms the check samples) and"
                    + " unreadable agents are warnings.",
            "Prints one line per problem after a first line with the verdict (OK, WARNING, CRITICAL), or with"
                    + " --json one object: {status, checks: [{check, status, detail}]}."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":OK: nothing to report.",
            CheckCommand.WARNING + ":WARNING: a failing agent, an unreadable one, or a server warning.",
            CheckCommand.CRITICAL
                    + ":CRITICAL: Redis unreachable or refusing the bus (wrong password, missing ACL rights, TLS),"
                    + " or a stuck agent or one with a backlog and no running instance; also a usage error.",
            ExitCodes.REDIS_NOT_GIVEN_HELP
        })
public final class CheckCommand implements Callable<Integer> {

    static final int WARNING = 1;
    static final int CRITICAL = 2;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    private BusConnection connection;

    @Mixin
    private JsonOption json;

    @Option(
            names = "--agent",
            paramLabel = "AGENT",
            description = "Check only AGENT (repeatable). Default: every known agent.")
    private List<String> agents = new ArrayList<>();

    @Spec
    private CommandSpec spec;

    /** One finding: what was checked, its verdict, and why. */
    private record Finding(String check, Verdict verdict, String detail) {}

    private enum Verdict {
        OK,
        WARNING,
        CRITICAL
    }

    @Override
    public Integer call() throws InterruptedException {
        Set<AgentId> only = agents.stream().map(AgentId::of).collect(Collectors.toSet());
        List<Finding> findings = new ArrayList<>();
        try (AgentBus bus = connection.openExisting()) {
            findings.add(new Finding(
                    "redis", Verdict.OK, "connected to " + bus.serverSoftware() + " " + bus.serverVersion()));
            bus.serverWarnings().forEach(warning -> findings.add(new Finding("server", Verdict.WARNING, warning)));
            BusStatsSnapshot first = BusStatsSnapshot.take(bus);
            Thread.sleep(BusStatsSnapshot.SAMPLE_PERIOD_MS);
            BusStatsSnapshot second = BusStatsSnapshot.take(bus);
            findings.addAll(agentFindings(second, second.deadLettersRoseSince(first), only));
        } catch (AgentBusException unreachable) {
            findings.add(new Finding("redis", Verdict.CRITICAL, unreachable.getMessage()));
        }
        Verdict overall =
                findings.stream().map(Finding::verdict).max(Enum::compareTo).orElse(Verdict.OK);
        PrintWriter out = spec.commandLine().getOut();
        out.println(json.requested() ? json(overall, findings) : text(overall, findings));
        out.flush();
        return overall.ordinal();
    }

    private static List<Finding> agentFindings(BusStatsSnapshot stats, Set<AgentId> failing, Set<AgentId> only) {
        List<Finding> findings = new ArrayList<>();
        Map<AgentId, AgentStatus> statuses = stats.statuses(failing);
        for (InboxStats inbox : stats.inboxes()) {
            if (!only.isEmpty() && !only.contains(inbox.agent())) {
                continue;
            }
            AgentStatus status = statuses.get(inbox.agent());
            String check = "agent " + inbox.agent();
            switch (status) {
                case STUCK ->
                    findings.add(new Finding(
                            check,
                            Verdict.CRITICAL,
                            "stuck: " + inbox.overdue() + " entries held past the visibility timeout, oldest pending "
                                    + inbox.oldestPendingAge()
                                            .map(HumanDuration::format)
                                            .orElse("-")));
                case BACKLOG ->
                    findings.add(new Finding(
                            check,
                            Verdict.CRITICAL,
                            "backlog: " + inbox.unread() + " unread, oldest "
                                    + inbox.oldestUnreadAge()
                                            .map(HumanDuration::format)
                                            .orElse("-")
                                    + ", and no running instance"));
                case FAILING ->
                    findings.add(new Finding(
                            check, Verdict.WARNING, "failing: dead letters rising, " + inbox.deadLetters() + " held"));
                default -> findings.add(new Finding(check, Verdict.OK, status.label()));
            }
        }
        stats.errors().forEach((agent, why) -> {
            if (only.isEmpty() || only.contains(agent)) {
                findings.add(new Finding("agent " + agent, Verdict.WARNING, "unreadable: " + why));
            }
        });
        for (AgentId agent : only) {
            if (stats.inboxes().stream().noneMatch(inbox -> inbox.agent().equals(agent))
                    && !stats.errors().containsKey(agent)) {
                findings.add(new Finding("agent " + agent, Verdict.WARNING, "not a known agent"));
            }
        }
        return findings;
    }

    private static String text(Verdict overall, List<Finding> findings) {
        long agents =
                findings.stream().filter(f -> f.check().startsWith("agent ")).count();
        StringBuilder text = new StringBuilder(overall.name())
                .append(" agentbus: ")
                .append(agents)
                .append(agents == 1 ? " agent checked" : " agents checked");
        for (Verdict problem : List.of(Verdict.CRITICAL, Verdict.WARNING)) {
            long count = findings.stream().filter(f -> f.verdict() == problem).count();
            text.append(", ").append(count).append(' ').append(problem.name().toLowerCase(Locale.ROOT));
        }
        for (Finding finding : findings) {
            if (finding.verdict() != Verdict.OK) {
                text.append('\n')
                        .append(finding.verdict().name())
                        .append(' ')
                        .append(finding.check())
                        .append(": ")
                        .append(finding.detail());
            }
        }
        return text.toString();
    }

    private static String json(Verdict overall, List<Finding> findings) {
        ObjectNode root = JSON.createObjectNode();
        root.put("status", overall.name().toLowerCase(Locale.ROOT));
        ArrayNode checks = root.putArray("checks");
        for (Finding finding : findings) {
            checks.addObject()
                    .put("check", finding.check())
                    .put("status", finding.verdict().name().toLowerCase(Locale.ROOT))
                    .put("detail", finding.detail());
        }
        return root.toString();
    }
}
