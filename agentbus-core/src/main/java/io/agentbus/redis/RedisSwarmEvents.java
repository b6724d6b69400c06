package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BroadcastHandler;
import io.agentbus.BroadcastSubscription;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import io.agentbus.SwarmEvents;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A swarm's event bus on the bus's broadcast machinery, with a token bucket per swarm (one second of
 * burst): an event of priority 8-9 always goes at once; one of priority 1-7 goes if a token is left,
 * else it waits in order in the deferred queue, drained by a timer as tokens come back.
 */
final class RedisSwarmEvents implements SwarmEvents {

    private static final Logger log = LoggerFactory.getLogger(RedisSwarmEvents.class);
    private static final int BYPASS_PRIORITY = Priority.URGENT.value();
    private static final long DRAIN_EVERY_MILLIS = 10;

    private final RedisAgentBus bus;
    private final String swarm;
    private final double tokensPerNano;
    private final double burst;
    private final Deque<Runnable> deferredQueue = new ArrayDeque<>();
    private final AtomicLong deferred = new AtomicLong();
    private double tokens;
    private long refilledAt = System.nanoTime();
    private boolean drainScheduled;

    RedisSwarmEvents(RedisAgentBus bus, String swarm, int eventsPerSecond) {
        this.bus = bus;
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
        String channel = "event:{" + swarm + "}:" + type;
        synchronized (this) {
            refill();
            boolean bypass = event.priority() >= BYPASS_PRIORITY;
            if (bypass || (deferredQueue.isEmpty() && tokens >= 1)) {
                if (!bypass) {
                    tokens -= 1;
                }
                return bus.publish(channel, event).thenApply(receipt -> Outcome.PUBLISHED);
            }
            deferred.incrementAndGet();
            deferredQueue.add(() -> bus.publish(channel, event).whenComplete((receipt, failure) -> {
                if (failure != null) {
                    log.warn("deferred event {} on {} could not be published: {}", event.messageId(), channel, failure.toString());
                }
            }));
            scheduleDrain();
            return CompletableFuture.completedFuture(Outcome.DEFERRED);
        }
    }

    @Override
    public BroadcastSubscription listen(String typePattern, BroadcastHandler handler) {
        return bus.listen("event:{" + swarm + "}:" + typePattern, handler);
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
            Executor later = CompletableFuture.delayedExecutor(DRAIN_EVERY_MILLIS, TimeUnit.MILLISECONDS);
            later.execute(this::drain);
        }
    }

    private synchronized void drain() {
        drainScheduled = false;
        refill();
        while (tokens >= 1 && !deferredQueue.isEmpty()) {
            tokens -= 1;
            try {
                deferredQueue.poll().run();
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
