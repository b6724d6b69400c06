package io.agentbus;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * A blocking view of an {@link AgentBus}: each method waits for the matching asynchronous one and
 * throws its failure unwrapped. Obtain it with {@link AgentBus#sync()}.
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

    /** See {@link AgentBus#inbox(AgentId)}. */
    public InboxStats inbox(AgentId agent) {
        return await(bus.inbox(agent));
    }

    private static <T> T await(CompletionStage<T> stage) {
        try {
            // Every stage of the bus is bounded by the command timeout, so this wait is bounded too.
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
