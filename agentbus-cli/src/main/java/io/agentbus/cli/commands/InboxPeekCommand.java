package io.agentbus.cli.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.AgentLookup;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.JsonOption;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
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
 * over its three band streams (docs/PROTOCOL.md section 2), which neither delivers nor acknowledges
 * anything. The bus's API has no such read, so this one reads Redis directly.
 */
@Command(
        name = "peek",
        mixinStandardHelpOptions = true,
        description = {
            "Show the messages in AGENT's inbox without taking them: nothing is delivered, acknowledged or"
                    + " changed. One line each:",
            "  <entry id> <band> <timestamp> <from> -> <to> <type> p<priority> <message_id> <payload>",
            "The inbox keeps entries after they were handled until it is trimmed, so what is shown may have been"
                    + " handled already (inbox shows how many are pending). Reads Redis directly: the URI's"
                    + " TLS and password only (no --tls-ca, --password-file...)."
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

    /** The band streams with their names, highest first; a priority of each band names its stream. */
    private static final Map<String, Integer> BANDS = Map.of("high", 9, "normal", 5, "low", 1);

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
            description = "Show at most N messages, over all bands. Default: ${DEFAULT-VALUE}.")
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

    /** One entry of a band stream. */
    private record Entry(String band, StreamMessage<String, String> message) {}

    @Override
    public Integer call() {
        AgentId id = AgentId.of(agent);
        if (count < 1) {
            throw new IllegalArgumentException("-n must be >= 1, was " + count);
        }
        try (AgentBus bus = connection.openExisting()) {
            AgentLookup.require(bus, id);
        }
        List<Entry> entries = connection.readDirectly(redis -> read(redis, id));
        PrintWriter out = spec.commandLine().getOut();
        entries.forEach(entry -> out.println(json.requested() ? json(entry) : line(entry)));
        out.flush();
        return ExitCodes.OK;
    }

    /** The N oldest (or newest) entries of the three bands together, in that order. */
    private List<Entry> read(RedisClusterCommands<String, String> redis, AgentId id) {
        Limit limit = Limit.from(count);
        List<Entry> entries = new ArrayList<>();
        BANDS.forEach((band, priority) -> {
            String stream = KeySchema.inbox(id, priority);
            List<StreamMessage<String, String>> messages = end.oldest
                    ? redis.xrange(stream, Range.create("-", "+"), limit)
                    : redis.xrevrange(stream, Range.create("-", "+"), limit);
            messages.forEach(message -> entries.add(new Entry(band, message)));
        });
        // Entry ids are <ms>-<seq> of the append, so across the bands they order by time.
        Comparator<Entry> byId =
                Comparator.comparing(entry -> EntryId.of(entry.message().getId()));
        entries.sort(end.oldest ? byId : byId.reversed());
        return entries.subList(0, Math.min(count, entries.size()));
    }

    private record EntryId(long millis, long sequence) implements Comparable<EntryId> {
        static EntryId of(String id) {
            int dash = id.indexOf('-');
            return new EntryId(Long.parseLong(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1)));
        }

        @Override
        public int compareTo(EntryId other) {
            int byMillis = Long.compare(millis, other.millis);
            return byMillis != 0 ? byMillis : Long.compare(sequence, other.sequence);
        }
    }

    private static String line(Entry entry) {
        Map<String, String> fields = entry.message().getBody();
        return entry.message().getId() + " " + entry.band() + " " + field(fields, WireFields.TIMESTAMP) + " "
                + field(fields, WireFields.FROM_AGENT) + " -> " + field(fields, WireFields.TO_AGENT) + " "
                + field(fields, WireFields.MESSAGE_TYPE) + " p" + field(fields, WireFields.PRIORITY) + " "
                + field(fields, WireFields.MESSAGE_ID) + " " + field(fields, WireFields.PAYLOAD);
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
    private static String json(Entry entry) {
        ObjectNode line = MAPPER.createObjectNode();
        line.put("entry_id", entry.message().getId());
        line.put("band", entry.band());
        entry.message().getBody().forEach((name, value) -> {
            if (name.equals(WireFields.PAYLOAD)) {
                try {
                    line.set(name, MAPPER.readTree(value));
                    return;
                } catch (JsonProcessingException e) {
                    // shown as the text it is
                }
            }
            line.put(name, value);
        });
        return line.toString();
    }
}
