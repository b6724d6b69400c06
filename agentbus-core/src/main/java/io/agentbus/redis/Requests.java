package io.agentbus.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestTimeoutException;
import io.agentbus.audit.AuditTrail;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Request/reply on the bus (the caller checked that this bus runs the requester's inbox, where the
 * replies come): requests waiting for their reply ({@link PendingRequests}), the circuit
 * breaker per destination ({@link CircuitBreakers}), escalation along a chain, and the handler
 * adapter that serves requests.
 */
final class Requests implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Sender sender;
    private final AuditTrail audit;
    private final PendingRequests pending;
    private final CircuitBreakers breakers;

    Requests(Sender sender, AuditTrail audit, BusOptions options, BusThreads threads) {
        this.sender = sender;
        this.audit = audit;
        this.pending = new PendingRequests(options.listener(), threads.timer());
        this.breakers = new CircuitBreakers(
                options.send().breakerThreshold(), options.send().breakerCoolDown());
    }

    CompletionStage<Envelope> request(Envelope request, Duration timeout) {
        Objects.requireNonNull(request, "request");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be > 0, was " + timeout);
        }
        Envelope outgoing = request.replyTo().isPresent()
                ? request
                : request.toBuilder().replyTo(request.fromAgent()).build();
        AgentId to = outgoing.toAgent();
        try {
            breakers.admit(to);
        } catch (RecipientUnavailableException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletionStage<Envelope> reply = pending.start(outgoing, timeout, () -> sender.sendRequest(outgoing));
        return reply.whenComplete((answer, failure) -> {
            if (failure == null) {
                breakers.succeeded(to);
            } else if (failure instanceof RequestTimeoutException) {
                breakers.failed(to);
            }
        });
    }

    /** Whether {@code message} is a reply this bus awaits (or awaited): then it is not for the handler. */
    boolean takeReply(Envelope message) {
        return pending.take(message);
    }

    /** Whether requests to {@code to} fail fast now (its circuit is open): swarm events to it defer. */
    boolean circuitOpen(AgentId to) {
        return breakers.isOpen(to);
    }

    @Override
    public void close() {
        pending.close();
    }
}
