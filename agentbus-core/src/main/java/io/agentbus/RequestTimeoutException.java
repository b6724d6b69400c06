package io.agentbus;

import java.time.Duration;

/**
 * No reply arrived within the request's timeout. The request may still be handled, and its reply may
 * still arrive: a late reply is acknowledged and reported to {@link BusListener#lateReply}, never
 * handed to a handler.
 */
public class RequestTimeoutException extends AgentBusException {

    private final MessageId correlationId;
    private final Duration timeout;

    public RequestTimeoutException(MessageId correlationId, AgentId to, Duration timeout) {
        super("no reply from " + to + " to request " + correlationId + " within " + timeout
                + "; it may still be handled");
        this.correlationId = correlationId;
        this.timeout = timeout;
    }

    /** The request's message id, which the reply's {@code correlation_id} would carry. */
    public MessageId correlationId() {
        return correlationId;
    }

    public Duration timeout() {
        return timeout;
    }
}
