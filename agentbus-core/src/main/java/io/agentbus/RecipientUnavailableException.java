package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * A send or request was refused before anything was stored, because nobody would take it now; the
 * {@link #reason()} says why. Nothing reached Redis's inbox, so retrying later is safe.
 */
public class RecipientUnavailableException extends AgentBusException {

    /** Why the recipient cannot take the message now. */
    public enum Reason {
        /**
         * A request went to an agent that has never had a running instance (its inbox has no consumer
         * group), so nobody would answer; the caller learns it at once instead of after the timeout.
         */
        NO_RESPONDERS,
        /**
         * The agent has no live instance (no heartbeat within its presence TTL), on a bus that asked
         * to fail fast ({@link BusOptions#requireLiveRecipient()}). By default a send queues in the
         * durable inbox instead, for whenever an instance runs.
         */
        NO_LIVE_INSTANCE,
        /**
         * Requests to the agent timed out too many times in a row: new requests fail at once until
         * the cool-down has passed and one probe request succeeds ({@link BusOptions#breakerThreshold()}).
         */
        CIRCUIT_OPEN
    }

    private final AgentId to;
    private final Reason reason;

    public RecipientUnavailableException(AgentId to, Reason reason, String message) {
        super(message);
        this.to = Objects.requireNonNull(to, "to");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** {@link Reason#NO_RESPONDERS}: {@code to}'s inbox has no consumer group. */
    public static RecipientUnavailableException noResponders(AgentId to) {
        return new RecipientUnavailableException(
                to,
                Reason.NO_RESPONDERS,
                "no responders: " + to + " has never had a running instance (no consumer group on its inbox)");
    }

    /** {@link Reason#NO_LIVE_INSTANCE}: no instance of {@code to} sent a heartbeat within its presence TTL. */
    public static RecipientUnavailableException noLiveInstance(AgentId to) {
        return new RecipientUnavailableException(
                to,
                Reason.NO_LIVE_INSTANCE,
                to + " has no live instance (no heartbeat within its presence TTL); nothing was stored");
    }

    /** {@link Reason#CIRCUIT_OPEN}: {@code failures} requests to {@code to} timed out in a row. */
    public static RecipientUnavailableException circuitOpen(AgentId to, int failures, Duration retryAfter) {
        return new RecipientUnavailableException(
                to,
                Reason.CIRCUIT_OPEN,
                "circuit to " + to + " is open after " + failures + " failed requests in a row; next probe in "
                        + retryAfter.toMillis() + " ms");
    }

    /** The recipient that could not take the message. */
    public AgentId to() {
        return to;
    }

    public Reason reason() {
        return reason;
    }
}
