package io.agentbus;

import io.agentbus.broadcast.PublishReceipt;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * A blocking view of an {@link AgentBus}: one method for each asynchronous method of the bus, which
 * waits for it and throws its failure unwrapped (a {@link RequestTimeoutException}, not a
 * {@link CompletionException} around it). Obtain it with {@link AgentBus#sync()}. Every wait is
 * bounded: by the command timeout, or for requests by their own timeout.
 */
public final class SyncAgentBus {

    private final AgentBus bus;

    private SyncAgentBus(AgentBus bus) {
        this.bus = bus;
    }

    /** Creates the blocking view of {@code bus}; implementations return it from {@link AgentBus#sync()}. */
    public static SyncAgentBus of(AgentBus bus) {
        return new SyncAgentBus(bus);
    }

    /** See {@link AgentBus#send(Envelope)}. */
    public SendReceipt send(Envelope envelope) {
        return await(bus.send(envelope));
    }

    /** See {@link AgentBus#send(Envelope, Instant)}. */
    public SendReceipt send(Envelope envelope, Instant deliverAt) {
        return await(bus.send(envelope, deliverAt));
    }

    /** See {@link AgentBus#send(Envelope, Duration)}. */
    public SendReceipt send(Envelope envelope, Duration delay) {
        return await(bus.send(envelope, delay));
    }

    /** See {@link AgentBus#request(Envelope, Duration)}: the reply, or {@link RequestTimeoutException}. */
    public Envelope request(Envelope request, Duration timeout) {
        return await(bus.request(request, timeout));
    }

    /** See {@link AgentBus#escalate(Envelope, List, Duration)}. */
    public Envelope escalate(Envelope request, List<AgentId> chain, Duration deadlinePerLevel) {
        return await(bus.escalate(request, chain, deadlinePerLevel));
    }

    /** See {@link AgentBus#publish(String, Envelope)}. */
    public PublishReceipt publish(String channel, Envelope message) {
        return await(bus.publish(channel, message));
    }

    /** See {@link AgentBus#peek(AgentId, InboxEnd, int)}. */
    public List<StoredEntry> peek(AgentId agent, InboxEnd end, int limit) {
        return await(bus.peek(agent, end, limit));
    }

    /** See {@link AgentBus#pendingEntries(AgentId, int)}. */
    public List<PendingEntry> pendingEntries(AgentId agent, int limit) {
        return await(bus.pendingEntries(agent, limit));
    }

    /** See {@link AgentBus#inbox(AgentId)}. */
    public InboxStats inbox(AgentId agent) {
        return await(bus.inbox(agent));
    }

    /** See {@link AgentBus#forgetConsumer(AgentId, String)}. */
    public Boolean forgetConsumer(AgentId agent, String consumer) {
        return await(bus.forgetConsumer(agent, consumer));
    }

    private static <T> T await(CompletionStage<T> stage) {
        try {
            // Every stage of the bus is bounded (command or request timeout), so this wait is too.
            return stage.toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentBusException("interrupted while waiting for Redis", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AgentBusException(cause.getMessage(), cause);
        }
    }
}
