package io.agentbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.Envelope;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.protocol.WireFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How the {@code agentbus dlq} commands print a dead letter: a line, a JSON line, or in full. */
public final class DeadLetterFormat {

    /** The fields of an inbox entry in the order of docs/PROTOCOL.md; others follow by name. */
    private static final List<String> WIRE_ORDER = List.of(
            WireFields.V,
            WireFields.MESSAGE_ID,
            WireFields.FROM_AGENT,
            WireFields.TO_AGENT,
            WireFields.MESSAGE_TYPE,
            WireFields.PAYLOAD,
            WireFields.TIMESTAMP,
            WireFields.PRIORITY,
            WireFields.REPLY_TO,
            WireFields.CORRELATION_ID,
            WireFields.CONVERSATION_ID);

    private static final Comparator<String> BY_WIRE_ORDER = Comparator.comparingInt(
                    (String name) -> WIRE_ORDER.contains(name) ? WIRE_ORDER.indexOf(name) : WIRE_ORDER.size())
            .thenComparing(Comparator.naturalOrder());
    private static final int LINE_DETAIL_CHARS = 80;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DeadLetterFormat() {}

    /**
     * {@code <id> <failed-at> <reason> attempts=<n> <message_id> <message_type> <detail>}; {@code -}
     * for the message id and type of an entry that is not a valid envelope, the detail (led by the field
     * at fault, if any) on one line and cut at {@value #LINE_DETAIL_CHARS} characters.
     */
    public static String line(DeadLetter dead) {
        Optional<Envelope> envelope = dead.envelope();
        return dead.id() + " " + dead.lastFailedAt() + " " + dead.reason().code() + " attempts=" + dead.attempts()
                + " " + envelope.map(e -> e.messageId().value()).orElse("-")
                + " " + envelope.map(Envelope::messageType).orElse("-")
                + " " + truncate(oneLine(describe(dead)), LINE_DETAIL_CHARS);
    }

    /** The detail, led by the field at fault when it does not name it already ("is required"). */
    private static String describe(DeadLetter dead) {
        return dead.field()
                .filter(field -> !dead.detail().startsWith(field))
                .map(field -> field + " " + dead.detail())
                .orElse(dead.detail());
    }

    /**
     * One JSON object in snake_case: id, agent, reason, detail, field, attempts, first_failed_at,
     * last_failed_at (ISO-8601), consumer, source_entry_id, message_id, message_type, from_agent (null
     * unless the entry is a valid envelope) and the original {@code fields}, all as text.
     */
    public static String json(DeadLetter dead) {
        return node(dead).toString();
    }

    /** The object of {@link #json}, for a caller that embeds it in more JSON. */
    public static ObjectNode node(DeadLetter dead) {
        ObjectNode line = MAPPER.createObjectNode();
        line.put("id", dead.id());
        line.put("agent", dead.agent().value());
        line.put("reason", dead.reason().code());
        line.put("detail", dead.detail());
        line.put("field", dead.field().orElse(null));
        line.put("attempts", dead.attempts());
        line.put("first_failed_at", dead.firstFailedAt().toString());
        line.put("last_failed_at", dead.lastFailedAt().toString());
        line.put("consumer", dead.consumer());
        line.put("source_entry_id", dead.sourceEntryId());
        Optional<Envelope> envelope = dead.envelope();
        line.put("message_id", envelope.map(e -> e.messageId().value()).orElse(null));
        line.put("message_type", envelope.map(Envelope::messageType).orElse(null));
        line.put("from_agent", envelope.map(e -> e.fromAgent().value()).orElse(null));
        ObjectNode fields = line.putObject("fields");
        sortedNames(dead.fields())
                .forEach(name -> fields.put(name, dead.fields().get(name)));
        return line;
    }

    /** Everything about one dead letter, a field per line, the payload pretty-printed if it is JSON. */
    public static String full(DeadLetter dead) {
        List<String> lines = new ArrayList<>();
        lines.add("dead letter " + dead.id() + " of " + dead.agent());
        lines.add(row("reason", dead.reason().code()));
        lines.add(row("detail", dead.detail()));
        lines.add(row("field", dead.field().orElse("-")));
        lines.add(row("attempts", Integer.toString(dead.attempts())));
        lines.add(row("first failed at", dead.firstFailedAt().toString()));
        lines.add(row("last failed at", dead.lastFailedAt().toString()));
        lines.add(row("consumer", dead.consumer()));
        lines.add(row("source entry id", dead.sourceEntryId()));
        lines.add(row("envelope", dead.envelope().isPresent() ? "valid" : "not a valid envelope"));
        lines.add("fields of the inbox entry");
        for (String name : sortedNames(dead.fields())) {
            String value = dead.fields().get(name);
            prettyJson(value)
                    .ifPresentOrElse(
                            pretty -> lines.add(
                                    "  " + name + "\n" + pretty.indent(4).stripTrailing()),
                            () -> lines.add(row(name, value)));
        }
        return String.join("\n", lines);
    }

    private static String row(String name, String value) {
        return String.format("  %-17s %s", name, oneLine(value));
    }

    private static List<String> sortedNames(Map<String, String> fields) {
        List<String> names = new ArrayList<>(fields.keySet());
        names.sort(BY_WIRE_ORDER);
        return names;
    }

    /** The value indented over lines if it is a JSON object or array. */
    private static Optional<String> prettyJson(String value) {
        String trimmed = value.strip();
        if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
            return Optional.empty();
        }
        try {
            JsonNode tree = MAPPER.readTree(trimmed);
            return Optional.of(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            return Optional.empty(); // shown as it is: broken JSON is often why it is a dead letter
        }
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\R", " ");
    }

    private static String truncate(String text, int chars) {
        return text.length() <= chars ? text : text.substring(0, chars - 1) + "…";
    }
}
