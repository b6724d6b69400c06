package io.agentbus;

/**
 * A send or request to an agent with no live instance, on a bus that asked to fail fast
 * ({@link SendOptions#requireLiveRecipient()}): nothing was stored. By default a send queues in the
 * durable inbox instead, for whenever an instance runs.
 */
public class NoLiveInstanceException extends AgentBusException {

    private final AgentId to;

    public NoLiveInstanceException(AgentId to) {
        super(to + " has no live instance (no heartbeat within its presence TTL); nothing was stored");
        this.to = to;
    }

    public AgentId to() {
        return to;
    }
}
