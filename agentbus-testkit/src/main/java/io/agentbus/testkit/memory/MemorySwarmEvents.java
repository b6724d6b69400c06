package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import io.agentbus.Retention;
import io.agentbus.Subscription;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.protocol.KeySchema;
import io.agentbus.swarm.SwarmEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A swarm's event bus on an in-memory bus, with the Redis bus's gate: a token bucket of
 * {@code eventRate} per second (one second of burst) on the server's clock; priority 8-9 bypasses it,
 * priority 1-7 over the rate, or to an agent whose request circuit is open, is deferred and published
 * in order as tokens return (at the server's ticks). A durable type goes to its stream instead of a
 * channel, through the same gate.
 */
final class MemorySwarmEvents implements SwarmEvents {

    private static final int BYPASS_PRIORITY = Priority.URGENT.value();

    private final InMemoryAgentBus bus;
    private final String swarm;
    private final double burst;
    private final Deque<Deferred> deferredQueue = new ArrayDeque<>();
    private final Map<String, DurableTopic> durableTypes = new ConcurrentHashMap<>();
    private final AtomicLong deferred = new AtomicLong();
    /** The size of the deferred queue, readable without this object's lock (the server reads it under its own). */
    private volatile int waiting;

    private double tokens;
    private Instant refilledAt;

    private record Deferred(String type, Envelope event) {}

    MemorySwarmEvents(InMemoryAgentBus bus, String swarm) {
        this.bus = bus;
        this.swarm = AgentId.of(swarm).value(); // the hash tag rule
        this.burst = bus.options().swarm().eventRate();
        this.tokens = burst;
        this.refilledAt = bus.server().clock.instant();
    }

    @Override
    public String swarm() {
        return swarm;
    }

    @Override
    public synchronized CompletionStage<Outcome> publish(String type, Envelope event) {
        refill();
        boolean bypass = event.priority() >= BYPASS_PRIORITY;
        if (bypass || (deferredQueue.isEmpty() && tokens >= 1 && !bus.circuitOpen(event.toAgent()))) {
            if (!bypass) {
                tokens -= 1;
            }
            return send(type, event).thenApply(sent -> Outcome.PUBLISHED);
        }
        deferred.incrementAndGet();
        deferredQueue.add(new Deferred(type, event));
        waiting = deferredQueue.size();
        return CompletableFuture.completedFuture(Outcome.DEFERRED);
    }

    /** At a tick: publishes the deferred events that the rate and their circuits now let through, in order. */
    synchronized void drain() {
        refill();
        while (tokens >= 1
                && !deferredQueue.isEmpty()
                && !bus.circuitOpen(deferredQueue.peek().event().toAgent())) {
            tokens -= 1;
            Deferred next = deferredQueue.poll();
            send(next.type(), next.event());
        }
        waiting = deferredQueue.size();
    }

    int waiting() {
        return waiting;
    }

    private CompletionStage<?> send(String type, Envelope event) {
        DurableTopic durable = durableTypes.get(type);
        return durable != null ? durable.publish(event) : bus.publish(KeySchema.swarmEvent(swarm, type), event);
    }

    private void refill() {
        Instant now = bus.server().clock.instant();
        double seconds = Math.max(0, Duration.between(refilledAt, now).toNanos()) / 1e9;
        tokens = Math.min(burst, tokens + seconds * burst);
        refilledAt = now;
    }

    @Override
    public DurableTopic durable(String type) {
        String key = KeySchema.swarmEvent(swarm, AgentId.of(type).value());
        return durableTypes.computeIfAbsent(type, name -> bus.durableTopic(key, key, Retention.DEFAULT));
    }

    @Override
    public Subscription listen(String typePattern, BroadcastHandler handler) {
        return bus.listen(KeySchema.swarmEvent(swarm, typePattern), handler);
    }

    @Override
    public long deferred() {
        return deferred.get();
    }
}
