package io.agentbus;

/**
 * The recipient's inbox holds {@link SendOptions#maxInboxLength()} entries: the send was refused and
 * nothing was stored (back-pressure; the check and the append are one atomic step). Retry later, with
 * the same message id.
 */
public class InboxFullException extends AgentBusException {

    private final AgentId to;
    private final long maxLength;

    public InboxFullException(AgentId to, long maxLength) {
        super("inbox of " + to + " is full: it holds " + maxLength + " entries (maxInboxLength); nothing was stored");
        this.to = to;
        this.maxLength = maxLength;
    }

    public AgentId to() {
        return to;
    }

    public long maxLength() {
        return maxLength;
    }
}
