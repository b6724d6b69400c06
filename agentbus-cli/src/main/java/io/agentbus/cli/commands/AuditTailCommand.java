package io.agentbus.cli.commands;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.cli.AuditCursor;
import io.agentbus.cli.AuditFormat;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentbus audit tail}: the newest audit records, filtered, optionally followed. */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description = {
            "Print the newest audit records, oldest first, one line each:",
            "  <time> <event> <message_type> <from_agent> -> <to_agent> <message_id> [conversation] [reason]",
            "With --follow, keep printing new records as they come (until interrupted)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Printed (also when there is none).",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP
        })
final class AuditTailCommand implements Callable<Integer> {

    static final int DEFAULT_LIMIT = 50;
    private static final Duration FOLLOW_POLL = Duration.ofMillis(500);

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(names = "--agent", paramLabel = "A", description = "Only records about agent A (its audit shards).")
    private String agent;

    @Option(names = "--conversation", paramLabel = "C", description = "Only records of conversation_id C.")
    private String conversation;

    @Option(
            names = "--correlation",
            paramLabel = "ID",
            description = "Only records whose correlation_id or message_id is ID.")
    private String correlation;

    @Option(names = "--type", paramLabel = "T", description = "Only records of message_type T.")
    private String type;

    @Option(
            names = "--since",
            paramLabel = "TIME",
            description = "Only records at or after TIME: an ISO-8601 UTC time, e.g. 2025-11-03T10:30:00Z, or a"
                    + " duration meaning that long ago, e.g. 15m: " + DurationConverter.FORMS + ".")
    private String since;

    @Option(
            names = {"-n", "--limit"},
            paramLabel = "N",
            defaultValue = "" + DEFAULT_LIMIT,
            description = "Print at most the N newest. Default: ${DEFAULT-VALUE}.")
    private int limit;

    @Option(names = "--follow", description = "Keep printing new records every 0.5 s until interrupted.")
    private boolean follow;

    @Option(
            names = "--follow-for",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "With --follow, stop after DURATION (" + DurationConverter.FORMS + ").")
    private Duration followFor;

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() throws InterruptedException {
        if (limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, was " + limit);
        }
        AuditQuery query = query();
        PrintWriter out = spec.commandLine().getOut();
        try (AgentBus bus = connection.openExisting()) {
            List<AuditEntry> records = bus.audit().tail(query, limit);
            AuditCursor seen = new AuditCursor();
            print(out, records, seen);
            long deadline = followFor == null ? Long.MAX_VALUE : System.nanoTime() + followFor.toNanos();
            while (follow
                    && System.nanoTime() - deadline < 0
                    && !Thread.currentThread().isInterrupted()) {
                Thread.sleep(FOLLOW_POLL.toMillis());
                print(out, bus.audit().after(query, seen.lastIdByShard(), 1_000), seen);
            }
        }
        return ExitCodes.OK;
    }

    private AuditQuery query() {
        AuditQuery query = AuditQuery.all();
        if (agent != null) {
            query = query.agent(AgentId.of(agent));
        }
        if (conversation != null) {
            query = query.conversation(conversation);
        }
        if (correlation != null) {
            query = query.correlation(correlation);
        }
        if (type != null) {
            query = query.type(type);
        }
        if (since != null) {
            query = query.since(sinceInstant());
        }
        return query;
    }

    /** {@code --since} as a time: given as one, or a duration ago. */
    private Instant sinceInstant() {
        try {
            return Instant.parse(since.strip());
        } catch (DateTimeParseException notATime) {
            try {
                return Instant.now().minus(new DurationConverter().convert(since));
            } catch (CommandLine.TypeConversionException notADuration) {
                throw new IllegalArgumentException("--since must be an ISO-8601 UTC time such as 2025-11-03T10:30:00Z"
                        + " or a duration ago such as 15m (" + DurationConverter.FORMS + "), was '" + since + "'");
            }
        }
    }

    /** Prints records and moves the cursor past them. */
    private void print(PrintWriter out, List<AuditEntry> records, AuditCursor seen) {
        for (AuditEntry record : records) {
            out.println(json.requested() ? AuditFormat.json(record) : AuditFormat.line(record));
        }
        seen.advance(records);
        out.flush();
    }
}
