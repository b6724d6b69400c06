package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import io.agentbus.Subscription;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.protocol.KeySchema;
import io.agentbus.swarm.SwarmEvents;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A swarm's event bus on the bus's broadcast machinery, with a token bucket per swarm (one second of
 * burst): an event of priority 8-9 always goes at once; one of priority 1-7 goes if a token is left
 * and the circuit of its {@code to_agent} is not open, else it waits in order in the deferred queue,
 * drained by a timer as tokens come back and circuits close. The queue's head waiting for its circuit
 * holds back the events behind it: deferred events keep their order. A durable type's events go to
 * its {@link RedisDurableTopic} instead of a channel, through the same gate.
 */
final class RedisSwarmEvents implements SwarmEvents {

    private static final Logger log = LoggerFactory.getLogger(RedisSwarmEvents.class);
    private static final int BYPASS_PRIORITY = Priority.URGENT.value();
    private static final long DRAIN_EVERY_MILLIS = 10;

    private final AgentBus bus;
    private final Predicate<AgentId> circuitOpen;
    private final ScheduledExecutorService timer;
    private final Function<String, DurableTopic> durableTopics;
    private final String swarm;
    private final double tokensPerNano;
    private final double burst;
    private final Deque<Deferred> deferredQueue = new ArrayDeque<>();
    private final Map<String, DurableTopic> durableTypes = new ConcurrentHashMap<>();
    private final AtomicLong deferred = new AtomicLong();
    private double tokens;
    private long refilledAt = System.nanoTime();
    private boolean drainScheduled;

    private record Deferred(AgentId to, Runnable publish) {}

    /**
     * @param bus           carries the ephemeral events
     * @param circuitOpen   whether requests to an agent fail fast now: events to it are deferred
     * @param durableTopics the durable topic on a stream key, for the types made durable
     */
    RedisSwarmEvents(
            AgentBus bus,
            String swarm,
            int eventsPerSecond,
            Predicate<AgentId> circuitOpen,
            ScheduledExecutorService timer,
            Function<String, DurableTopic> durableTopics) {
        this.bus = bus;
        this.circuitOpen = circuitOpen;
        this.timer = timer;
        this.durableTopics = durableTopics;
        this.swarm = AgentId.of(swarm).value(); // the hash tag rule
        this.tokensPerNano = eventsPerSecond / 1e9;
        this.burst = eventsPerSecond;
        this.tokens = eventsPerSecond;
    }

    @Override
    public String swarm() {
        return swarm;
    }

    @Override
    public CompletionStage<Outcome> publish(String type, Envelope event) {
        String channel = KeySchema.swarmEvent(swarm, type);
        synchronized (this) {
            refill();
            boolean bypass = event.priority() >= BYPASS_PRIORITY;
            if (bypass || (deferredQueue.isEmpty() && tokens >= 1 && !circuitOpen.test(event.toAgent()))) {
                if (!bypass) {
                    tokens -= 1;
                }
                return send(type, channel, event).thenApply(sent -> Outcome.PUBLISHED);
            }
            deferred.incrementAndGet();
            deferredQueue.add(new Deferred(
                    event.toAgent(),
                    () -> send(type, channel, event).whenComplete((sent, failure) -> {
                        if (failure != null) {
                            log.warn(
                                    "deferred event {} on {} could not be published: {}",
                                    event.messageId(),
                                    channel,
                                    failure.toString());
                        }
                    })));
            scheduleDrain();
            return CompletableFuture.completedFuture(Outcome.DEFERRED);
        }
    }

    /** To the type's stream if it is durable, else a broadcast on its channel. */
    private CompletionStage<?> send(String type, String channel, Envelope event) {
        DurableTopic durable = durableTypes.get(type);
        return durable != null ? durable.publish(event) : bus.publish(channel, event);
    }

    @Override
    public DurableTopic durable(String type) {
        String key = KeySchema.swarmEvent(swarm, AgentId.of(type).value()); // part of a key, as a topic's name
        return durableTypes.computeIfAbsent(type, name -> durableTopics.apply(key));
    }

    @Override
    public Subscription listen(String typePattern, BroadcastHandler handler) {
        return bus.listen(KeySchema.swarmEvent(swarm, typePattern), handler);
    }

    @Override
    public long deferred() {
        return deferred.get();
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - refilledAt) * tokensPerNano);
        refilledAt = now;
    }

    private void scheduleDrain() {
        if (!drainScheduled) {
            drainScheduled = true;
            timer.schedule(this::drain, DRAIN_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void drain() {
        drainScheduled = false;
        refill();
        while (tokens >= 1
                && !deferredQueue.isEmpty()
                && !circuitOpen.test(deferredQueue.peek().to())) {
            tokens -= 1;
            try {
                deferredQueue.poll().publish().run();
            } catch (IllegalStateException closed) {
                log.warn("bus closed with {} deferred events of swarm {} unpublished", deferredQueue.size() + 1, swarm);
                deferredQueue.clear();
            }
        }
        if (!deferredQueue.isEmpty()) {
            scheduleDrain();
        }
    }
}
