package io.agentbus;

/**
 * A request went to an agent that has never had a running instance (its inbox has no consumer group),
 * so nobody would answer: the request was not stored, and the caller learns it at once instead of
 * after the timeout.
 */
public class NoRespondersException extends AgentBusException {

    private final AgentId to;

    public NoRespondersException(AgentId to) {
        super("no responders: " + to + " has never had a running instance (no consumer group on its inbox)");
        this.to = to;
    }

    public AgentId to() {
        return to;
    }
}
