package io.agentbus.testkit.memory;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Request/reply of one in-memory bus, the Redis bus's rules: a reply is the first message in the
 * requester's inbox whose {@code correlation_id} is the request's id, taken before any handler sees
 * it; a request times out on the server's clock (a late reply is acknowledged and reported to
 * {@code BusListener.lateReply}); a circuit per destination opens after {@code breakerThreshold}
 * timeouts in a row and lets one probe through after the cool-down. Escalation walks a chain, one new
 * message per level ({@code <id>.e<level>}, {@code escalation_path}), recording each step up as a
 * decision. Futures complete on the bus's executor, never under the server's lock.
 */
final class MemoryRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InMemoryAgentBus bus;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final Set<String> timedOut = ConcurrentHashMap.newKeySet();
    private final Map<AgentId, Circuit> circuits = new ConcurrentHashMap<>();

    private record Waiting(CompletableFuture<Envelope> reply, AgentId to, Instant deadline, Duration timeout) {}

    private static final class Circuit {
        int failures;
        Instant openedAt;
        boolean probing;
    }

    MemoryRequests(InMemoryAgentBus bus) {
        this.bus = bus;
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
            admit(to);
        } catch (RecipientUnavailableException e) {
            return CompletableFuture.failedFuture(e);
        }
        String id = outgoing.messageId().value();
        CompletableFuture<Envelope> reply = new CompletableFuture<>();
        waiting.put(id, new Waiting(reply, to, bus.server().clock.instant().plus(timeout), timeout));
        bus.appendRequest(outgoing).whenComplete((sent, failure) -> {
            if (failure != null && waiting.remove(id) != null) {
                reply.completeExceptionally(failure);
            }
        });
        return reply.whenComplete((answer, failure) -> {
            if (failure == null) {
                succeeded(to);
            } else if (failure instanceof RequestTimeoutException) {
                failed(to);
            }
        });
    }

    /** Whether {@code message} is a reply this bus awaits or awaited: then no handler sees it. */
    boolean takeReply(Envelope message) {
        String correlation = message.correlationId().orElse(null);
        if (correlation == null) {
            return false;
        }
        Waiting awaited = waiting.remove(correlation);
        if (awaited != null) {
            bus.execute(() -> awaited.reply().complete(message));
            return true;
        }
        if (timedOut.remove(correlation)) {
            bus.execute(() -> bus.options().listener().lateReply(message));
            return true;
        }
        return false;
    }

    /** At a tick: fails the requests whose deadline passed. */
    void timeOut(Instant now) {
        waiting.forEach((id, awaited) -> {
            if (!now.isBefore(awaited.deadline()) && waiting.remove(id, awaited)) {
                timedOut.add(id);
                bus.execute(() -> awaited.reply()
                        .completeExceptionally(new RequestTimeoutException(
                                io.agentbus.MessageId.of(id), awaited.to(), awaited.timeout())));
            }
        });
    }

    // The circuit per destination

    private void admit(AgentId to) {
        int threshold = bus.options().send().breakerThreshold();
        if (threshold == 0) {
            return;
        }
        Circuit circuit = circuits.computeIfAbsent(to, agent -> new Circuit());
        synchronized (circuit) {
            if (circuit.failures < threshold) {
                return;
            }
            Duration waited =
                    Duration.between(circuit.openedAt, bus.server().clock.instant());
            Duration coolDown = bus.options().send().breakerCoolDown();
            if (waited.compareTo(coolDown) < 0 || circuit.probing) {
                Duration left = coolDown.minus(waited);
                throw RecipientUnavailableException.circuitOpen(
                        to, circuit.failures, left.isNegative() ? Duration.ZERO : left);
            }
            circuit.probing = true; // this request is the probe
        }
    }

    /** Whether requests to {@code to} fail fast now: open and cooling down, or its probe is out. */
    boolean circuitOpen(AgentId to) {
        Circuit circuit = circuits.get(to);
        int threshold = bus.options().send().breakerThreshold();
        if (threshold == 0 || circuit == null) {
            return false;
        }
        synchronized (circuit) {
            return circuit.failures >= threshold
                    && (circuit.probing
                            || Duration.between(
                                                    circuit.openedAt,
                                                    bus.server().clock.instant())
                                            .compareTo(bus.options().send().breakerCoolDown())
                                    < 0);
        }
    }

    private void succeeded(AgentId to) {
        Circuit circuit = circuits.get(to);
        if (circuit != null) {
            synchronized (circuit) {
                circuit.failures = 0;
                circuit.probing = false;
            }
        }
    }

    private void failed(AgentId to) {
        if (bus.options().send().breakerThreshold() == 0) {
            return;
        }
        Circuit circuit = circuits.computeIfAbsent(to, agent -> new Circuit());
        synchronized (circuit) {
            circuit.failures++;
            circuit.probing = false;
            if (circuit.failures >= bus.options().send().breakerThreshold()) {
                circuit.openedAt = bus.server().clock.instant();
            }
        }
    }

    /** Fails every request still waiting: the bus closed. */
    void close() {
        waiting.forEach((id, awaited) -> awaited.reply()
                .completeExceptionally(
                        new AgentBusException("the bus closed before request " + id + " got its reply")));
        waiting.clear();
    }
}
