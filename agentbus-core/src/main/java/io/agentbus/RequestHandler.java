package io.agentbus;

/**
 * Answers requests by returning the reply's payload: a {@code Map} (written as a JSON object) or
 * JSON object text. The reply goes to the request's {@code reply_to} with its {@code correlation_id},
 * type {@code <request type>.reply}, before the request is acknowledged. Returning {@code null} sends
 * no reply. Threading and failures are those of {@link MessageHandler}.
 */
@FunctionalInterface
public interface RequestHandler {

    Object handle(Delivery request) throws Exception;
}
