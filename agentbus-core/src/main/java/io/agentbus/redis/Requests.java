package io.agentbus.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestHandler;
import io.agentbus.RequestTimeoutException;
import io.agentbus.audit.AuditTrail;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

    CompletionStage<Envelope> escalate(Envelope request, List<AgentId> chain, Duration deadlinePerLevel) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an escalation chain needs at least one level");
        }
        return escalateFrom(request, chain, 0, deadlinePerLevel, new ArrayList<>());
    }

    private CompletionStage<Envelope> escalateFrom(
            Envelope request, List<AgentId> chain, int level, Duration deadline, List<String> path) {
        AgentId to = chain.get(level);
        path.add(to.value());
        Envelope attempt = request.toBuilder()
                .messageId(request.messageId().value() + ".e" + level)
                .to(to)
                .extension("escalation_path", String.join(">", path))
                .build();
        return request(attempt, deadline)
                .handle((reply, failure) -> {
                    boolean last = level == chain.size() - 1;
                    boolean askedToEscalate = failure == null && wantsEscalation(reply);
                    boolean timedOut = failure instanceof RequestTimeoutException
                            || (failure != null && failure.getCause() instanceof RequestTimeoutException);
                    if (last || (!askedToEscalate && !timedOut)) {
                        if (failure != null) {
                            throw failure instanceof CompletionException completion
                                    ? completion
                                    : new CompletionException(failure);
                        }
                        return CompletableFuture.completedFuture(reply);
                    }
                    Map<String, String> details = new LinkedHashMap<>();
                    details.put("escalation_path", String.join(">", path));
                    details.put("next", chain.get(level + 1).value());
                    details.put("why", timedOut ? "no reply within " + deadline : "asked to escalate");
                    details.put(WireFields.MESSAGE_ID, request.messageId().value());
                    request.conversationId().ifPresent(id -> details.put(WireFields.CONVERSATION_ID, id));
                    audit.decision(to, "escalate", details);
                    return escalateFrom(request, chain, level + 1, deadline, path);
                })
                .thenCompose(next -> next);
    }

    private static boolean wantsEscalation(Envelope reply) {
        try {
            return JSON.readTree(reply.payload()).path("escalate").asBoolean(false);
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /**
     * The message handler that serves requests with {@code handler}: the request is acked once its
     * reply is stored (ackWhen), not before: a crash in between redelivers the request rather than
     * losing the reply. Not awaiting it lets the instance take the next request while the reply is in
     * flight.
     */
    static MessageHandler serving(RequestHandler handler) {
        Objects.requireNonNull(handler, "handler");
        return delivery -> {
            Object result = handler.handle(delivery);
            String type = delivery.envelope().messageType() + ".reply";
            if (result instanceof String json) {
                delivery.ackWhen(delivery.reply(type, json));
            } else if (result instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, ?> fields = (Map<String, ?>) map;
                delivery.ackWhen(delivery.reply(type, fields));
            } else if (result != null) {
                throw new IllegalArgumentException("a RequestHandler returns a Map, JSON object text or null, not "
                        + result.getClass().getName());
            }
        };
    }

    @Override
    public void close() {
        pending.close();
    }
}
