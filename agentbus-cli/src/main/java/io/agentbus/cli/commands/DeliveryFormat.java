package io.agentbus.cli.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.Delivery;
import io.agentbus.Envelope;

/**
 * How the commands print a message that reached them: {@code receive}'s deliveries, {@code request}'s
 * reply, {@code watch}'s broadcasts. One line either way.
 */
enum DeliveryFormat {

    /**
     * {@code <timestamp> <from> -> <to> <type> p<priority> <message_id> <payload>}; a broadcast has its
     * channel after the timestamp.
     */
    HUMAN {
        @Override
        String format(String channel, Envelope envelope, int attempt) {
            return envelope.timestamp() + " " + (channel != null ? channel + " " : "") + envelope.fromAgent()
                    + " -> " + envelope.toAgent() + " " + envelope.messageType() + " p" + envelope.priority() + " "
                    + envelope.messageId() + " " + envelope.payload();
        }
    },

    /**
     * One JSON object with the wire field names of docs/PROTOCOL.md and the payload as a nested object
     * rather than the string it is on the wire; a delivery from an inbox adds its {@code attempt}, a
     * broadcast starts with its {@code channel}.
     */
    JSON {
        @Override
        String format(String channel, Envelope envelope, int attempt) {
            ObjectNode line = MAPPER.createObjectNode();
            if (channel != null) {
                line.put("channel", channel);
            }
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
            if (attempt > 0) {
                line.put("attempt", attempt);
            }
            return line.toString();
        }
    };

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A message delivered from an inbox, with its delivery attempt. */
    String format(Delivery delivery) {
        return format(null, delivery.envelope(), delivery.attempt());
    }

    /** A message that has no delivery attempt of its own, such as the reply to a request. */
    String format(Envelope envelope) {
        return format(null, envelope, 0);
    }

    /** A broadcast heard on {@code channel}. */
    String format(String channel, Envelope envelope) {
        return format(channel, envelope, 0);
    }

    /** {@code channel} null: not a broadcast; {@code attempt} 0: no delivery attempt to show. */
    abstract String format(String channel, Envelope envelope, int attempt);
}
