package io.agentbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.Delivery;
import io.agentbus.Envelope;

/** How {@code agentbus receive} prints a delivered message: one line either way. */
enum DeliveryFormat {

    /** {@code <timestamp> <from> -> <to> <type> p<priority> <message_id> <payload>}. */
    HUMAN {
        @Override
        String format(Delivery delivery) {
            Envelope envelope = delivery.envelope();
            return envelope.timestamp() + " " + envelope.fromAgent() + " -> " + envelope.toAgent() + " "
                    + envelope.messageType() + " p" + envelope.priority() + " " + envelope.messageId() + " "
                    + envelope.payload();
        }
    },

    /**
     * One JSON object with the wire field names of docs/PROTOCOL.md, the payload as a nested object
     * rather than the string it is on the wire, and the delivery {@code attempt}.
     */
    JSON {
        @Override
        String format(Delivery delivery) {
            Envelope envelope = delivery.envelope();
            ObjectNode line = MAPPER.createObjectNode();
            line.put("v", envelope.v());
            line.put("message_id", envelope.messageId().value());
            line.put("from_agent", envelope.fromAgent().value());
            line.put("to_agent", envelope.toAgent().value());
            line.put("message_type", envelope.messageType());
            try {
                line.set("payload", MAPPER.readTree(envelope.payload()));
            } catch (JsonProcessingException e) {
                // Unreachable for a delivered envelope: the bus only delivers payloads that are JSON objects.
                throw new IllegalStateException("payload of " + envelope.messageId() + " is not JSON", e);
            }
            line.put("timestamp", envelope.timestamp().toString());
            line.put("priority", envelope.priority());
            envelope.replyTo().ifPresent(agent -> line.put("reply_to", agent.value()));
            envelope.correlationId().ifPresent(id -> line.put("correlation_id", id));
            envelope.conversationId().ifPresent(id -> line.put("conversation_id", id));
            envelope.extensions().forEach(line::put);
            line.put("attempt", delivery.attempt());
            return line.toString();
        }
    };

    private static final ObjectMapper MAPPER = new ObjectMapper();

    abstract String format(Delivery delivery);
}
