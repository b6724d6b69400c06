package io.agentbus;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.protocol.WireFields;
import java.io.IOException;
import java.util.Map;

/** Payload JSON rules, in one place: a payload is a single JSON object and nothing after it. */
final class JsonPayload {

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String RULE = "must be a JSON object";

    private JsonPayload() {}

    static void checkObject(String json) {
        if (json == null) {
            throw new InvalidEnvelopeException(WireFields.PAYLOAD, null, "is required");
        }
        // Streaming parse: validates without building a tree, which keeps the send path cheap.
        try (JsonParser parser = MAPPER.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidEnvelopeException(WireFields.PAYLOAD, json, RULE);
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new InvalidEnvelopeException(WireFields.PAYLOAD, json, RULE + " with nothing after it");
            }
        } catch (IOException e) {
            throw new InvalidEnvelopeException(WireFields.PAYLOAD, json, RULE + " (" + firstLine(e) + ")");
        }
    }

    static String write(Map<String, ?> fields) {
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("payload map cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String firstLine(IOException e) {
        String message = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        int newline = message == null ? -1 : message.indexOf('\n');
        return newline < 0 ? String.valueOf(message) : message.substring(0, newline);
    }
}
