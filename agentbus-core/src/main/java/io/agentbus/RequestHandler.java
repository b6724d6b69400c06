package io.agentbus;

import java.util.Map;

/**
 * Answers requests by returning the reply's payload: a {@code Map} (written as a JSON object) or
 * JSON object text. The reply goes to the request's {@code reply_to} with its {@code correlation_id},
 * type {@code <request type>.reply}, before the request is acknowledged. Returning {@code null} sends
 * no reply. Threading and failures are those of {@link MessageHandler}.
 */
@FunctionalInterface
public interface RequestHandler {

    Object handle(Delivery request) throws Exception;

    /**
     * The message handler that serves requests with this handler: the request is acked once its
     * reply is stored (ackWhen), not before: a crash in between redelivers the request rather than
     * losing the reply. Not awaiting it lets the instance take the next request while the reply is in
     * flight.
     */
    default MessageHandler asMessageHandler() {
        return delivery -> {
            Object result = handle(delivery);
            String type = delivery.envelope().messageType() + ".reply";
            if (result instanceof String json) {
                delivery.ackWhen(delivery.reply(type, json));
            } else if (result instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, ?> fields = (Map<String, ?>) map;
                delivery.ackWhen(delivery.reply(type, fields));
            } else if (result != null) {
                throw new IllegalArgumentException("a RequestHandler returns a Map, JSON object text or null, not "
                        + result.getClass().getName());
            }
        };
    }
}
