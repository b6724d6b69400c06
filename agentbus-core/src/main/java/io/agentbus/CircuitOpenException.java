package io.agentbus;

import java.time.Duration;

/**
 * Requests to this agent failed (timed out) too many times in a row: the bus fails new requests to
 * it at once, until the cool-down has passed and one probe request succeeds.
 */
public class CircuitOpenException extends AgentBusException {

    private final AgentId to;

    public CircuitOpenException(AgentId to, int failures, Duration retryAfter) {
        super("circuit to " + to + " is open after " + failures + " failed requests in a row; next probe in "
                + retryAfter.toMillis() + " ms");
        this.to = to;
    }

    public AgentId to() {
        return to;
    }
}
