package io.agentbus;

/**
 * A send was stored on the primary but fewer replicas than {@link Durability#replicas()} confirmed it
 * within the wait timeout. The message is in the inbox; it may be lost if the primary fails before
 * the replicas catch up. Resending with the same message id is safe (dedup).
 */
public class NotReplicatedException extends AgentBusException {

    private final int requested;
    private final long confirmed;

    public NotReplicatedException(MessageId messageId, int requested, long confirmed) {
        super("message " + messageId + " reached " + confirmed + " of " + requested + " replicas in time");
        this.requested = requested;
        this.confirmed = confirmed;
    }

    public int requested() {
        return requested;
    }

    public long confirmed() {
        return confirmed;
    }
}
