package io.agentbus.swarm;

import io.agentbus.AgentBusException;

/**
 * A swarm state write expected a version that is no longer current: another writer got there first.
 * Nothing was written; read the state again and retry (optimistic concurrency, never last-writer-wins).
 */
public class StateConflictException extends AgentBusException {

    private final String swarm;
    private final long expected;
    private final long actual;

    public StateConflictException(String swarm, long expected, long actual) {
        super("state of swarm " + swarm + " is at version " + actual + ", not " + expected + "; nothing was written");
        this.swarm = swarm;
        this.expected = expected;
        this.actual = actual;
    }

    public String swarm() {
        return swarm;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
