package io.agentbus.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.InboxEnd;
import io.agentbus.StoredEntry;
import io.agentbus.cli.AgentLookup;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.InboxEntryFormat;
import io.agentbus.cli.JsonOption;
import io.agentbus.protocol.WireFields;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus inbox peek}: the messages in an agent's inbox, read with {@code XRANGE}/{@code XREVRANGE}
 * over its three band streams ({@link AgentBus#peek}), which neither delivers nor acknowledges anything.
 */
@Command(
        name = "peek",
        mixinStandardHelpOptions = true,
        description = {
            "Show the messages in AGENT's inbox without taking them: nothing is delivered, acknowledged or"
                    + " changed. One line each:",
            "  <entry id> <band> <timestamp> <from> -> <to> <type> p<priority> <message_id> <payload>",
            "The inbox keeps entries after they were handled until it is trimmed, so what is shown may have been"
                    + " handled already (inbox shows how many are pending)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Shown (also when the inbox is empty).",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.UNKNOWN_AGENT_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP
        })
final class InboxPeekCommand implements Callable<Integer> {

    static final int DEFAULT_COUNT = 10;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose messages to show.")
    private String agent;

    @Option(
            names = "-n",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_COUNT,
            description = "Show at most N messages (1 to " + AgentBus.MAX_PEEK_LIMIT + "), over all bands. Default:"
                    + " ${DEFAULT-VALUE}.")
    private int count;

    @ArgGroup(exclusive = true)
    private End end = new End();

    static final class End {
        @Option(names = "--oldest", description = "The N oldest entries, oldest first.")
        boolean oldest;

        @Option(names = "--newest", description = "The N newest entries, newest first (the default).")
        boolean newest;
    }

    @Mixin
    private JsonOption json;

    @Override
    public Integer call() {
        AgentId id = AgentId.of(agent);
        if (count < 1 || count > AgentBus.MAX_PEEK_LIMIT) {
            throw new IllegalArgumentException("-n must be 1 to " + AgentBus.MAX_PEEK_LIMIT + ", was " + count);
        }
        List<StoredEntry> entries;
        try (AgentBus bus = connection.openExisting()) {
            AgentLookup.require(bus, id);
            entries = bus.sync().peek(id, end.oldest ? InboxEnd.OLDEST : InboxEnd.NEWEST, count);
        }
        PrintWriter out = spec.commandLine().getOut();
        entries.forEach(entry -> out.println(json.requested() ? json(id, entry) : line(id, entry)));
        out.flush();
        return ExitCodes.OK;
    }

    private static String line(AgentId agent, StoredEntry entry) {
        Map<String, String> fields = entry.fields();
        return entry.entryId() + " " + InboxEntryFormat.band(agent, entry.stream()) + " "
                + field(fields, WireFields.TIMESTAMP) + " " + field(fields, WireFields.FROM_AGENT) + " -> "
                + field(fields, WireFields.TO_AGENT) + " " + field(fields, WireFields.MESSAGE_TYPE) + " p"
                + field(fields, WireFields.PRIORITY) + " " + field(fields, WireFields.MESSAGE_ID) + " "
                + field(fields, WireFields.PAYLOAD);
    }

    /** A field as stored, {@code -} if absent: an entry need not be a valid envelope. */
    private static String field(Map<String, String> fields, String name) {
        String value = fields.get(name);
        return value != null ? value : "-";
    }

    /**
     * One JSON object: entry_id, band, then the entry's fields by their wire names, the payload as an
     * object when it is JSON (else as the text it is).
     */
    private static String json(AgentId agent, StoredEntry entry) {
        ObjectNode line = MAPPER.createObjectNode();
        line.put("entry_id", entry.entryId());
        line.put("band", InboxEntryFormat.band(agent, entry.stream()));
        line.setAll(InboxEntryFormat.fields(entry.fields()));
        return line.toString();
    }
}
