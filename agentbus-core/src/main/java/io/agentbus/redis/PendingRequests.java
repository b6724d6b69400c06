package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusListener;
import io.agentbus.Envelope;
import io.agentbus.RequestTimeoutException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of one bus waiting for their replies, by correlation id (the request's message id),
 * and the recently timed-out ones, so that a late reply is recognised: acknowledged and reported,
 * never handed to a handler, and never completing a request twice.
 */
final class PendingRequests {

    private static final Logger log = LoggerFactory.getLogger(PendingRequests.class);
    private static final int REMEMBERED_TIMEOUTS = 10_000;

    private final BusListener listener;
    private final Map<String, CompletableFuture<Envelope>> waiting = new ConcurrentHashMap<>();
    private final Set<String> timedOut =
            Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > REMEMBERED_TIMEOUTS;
                }
            }));

    private final ScheduledExecutorService timer;

    PendingRequests(BusListener listener, ScheduledExecutorService timer) {
        this.listener = listener;
        this.timer = timer;
    }

    /** Registers the request, sends it with {@code send}, and times it out after {@code timeout}. */
    CompletionStage<Envelope> start(Envelope request, Duration timeout, Supplier<CompletionStage<?>> send) {
        String correlationId = request.messageId().value();
        CompletableFuture<Envelope> reply = new CompletableFuture<>();
        if (waiting.putIfAbsent(correlationId, reply) != null) {
            throw new IllegalStateException("request " + correlationId + " is already waiting for its reply");
        }
        ScheduledFuture<?> expiry = timer.schedule(
                () -> {
                    if (waiting.remove(correlationId, reply)) {
                        timedOut.add(correlationId);
                        reply.completeExceptionally(
                                new RequestTimeoutException(request.messageId(), request.toAgent(), timeout));
                    }
                },
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        reply.whenComplete((answered, failure) -> expiry.cancel(false));
        CompletionStage<?> sent;
        try {
            sent = send.get();
        } catch (RuntimeException refused) {
            // Refused before reaching Redis (closed bus, full send buffer): fail this request's stage.
            waiting.remove(correlationId, reply);
            reply.completeExceptionally(refused);
            return reply;
        }
        sent.whenComplete((stored, failure) -> {
            if (failure != null && waiting.remove(correlationId, reply)) {
                reply.completeExceptionally(
                        failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure);
            }
        });
        return reply;
    }

    /** Completes the request {@code message} replies to; true if it was a reply this bus awaits or awaited. */
    boolean take(Envelope message) {
        if (message.correlationId().isEmpty()) {
            return false;
        }
        String correlationId = message.correlationId().get();
        CompletableFuture<Envelope> reply = waiting.remove(correlationId);
        if (reply != null) {
            reply.complete(message);
            return true;
        }
        if (timedOut.remove(correlationId)) {
            log.debug("late reply {} to request {}; acknowledged, not delivered", message.messageId(), correlationId);
            try {
                listener.lateReply(message);
            } catch (RuntimeException e) {
                log.warn("BusListener.lateReply threw; listeners must not throw", e);
            }
            return true;
        }
        return false;
    }

    void close() {
        waiting.forEach((id, reply) -> reply.completeExceptionally(
                new AgentBusException("the bus closed before request " + id + " got its reply")));
        waiting.clear();
    }
}
