package io.agentbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentId;
import io.agentbus.Priority;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@code agentbus inbox peek} and the dashboard show entries of an inbox ({@code AgentBus.peek},
 * {@code AgentBus.pendingEntries}): the band by name, the fields as JSON.
 */
public final class InboxEntryFormat {

    /** A priority of each band, highest first: its name names the band, and it names the band's stream. */
    private static final List<Priority> BANDS = List.of(Priority.HIGH, Priority.NORMAL, Priority.LOW);

    // Trailing tokens fail: a payload such as "12 monkeys" is text, not the number 12.
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private InboxEntryFormat() {}

    /** {@code high}, {@code normal} or {@code low}: the band whose stream of {@code agent}'s inbox is {@code stream}. */
    public static String band(AgentId agent, String stream) {
        for (Priority band : BANDS) {
            if (KeySchema.inbox(agent, band.value()).equals(stream)) {
                return band.name().toLowerCase(Locale.ROOT);
            }
        }
        throw new IllegalArgumentException(stream + " is not a band stream of the inbox of " + agent);
    }

    /** The entry's fields by their wire names, as stored, but the payload as JSON when it is JSON. */
    public static ObjectNode fields(Map<String, String> fields) {
        ObjectNode json = MAPPER.createObjectNode();
        fields.forEach((name, value) -> {
            if (name.equals(WireFields.PAYLOAD)) {
                try {
                    json.set(name, MAPPER.readTree(value));
                    return;
                } catch (JsonProcessingException notJson) {
                    // shown as the text it is
                }
            }
            json.put(name, value);
        });
        return json;
    }
}
