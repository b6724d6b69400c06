package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic duties of a running instance of an agent, on its lane's loop: the presence heartbeat,
 * moving the agent's due delayed messages into its inbox, and sweeping the consumers of instances that
 * ended without closing (idle for {@value #DEAD_AFTER_VISIBILITY_TIMEOUTS} visibility timeouts with
 * nothing pending); and, for a temporary agent ({@link DeliveryOptions#expireAfter()}), renewing the
 * TTL of its keys right behind each heartbeat, on the same connection, so that the instances entry the
 * heartbeat may create expires too.
 *
 * <p>Why a TTL and not a cleanup at close: an instance killed with SIGKILL never closes, and a temporary
 * agent (a made-up requester id) has no later instance that could sweep after it. A closing instance
 * still deletes the keys at once ({@link #closed}).
 */
final class AgentUpkeep implements Upkeep {

    private static final Logger log = LoggerFactory.getLogger(AgentUpkeep.class);

    /** Look for due delayed messages at least this often: another process may schedule one due sooner. */
    private static final long MOVE_CHECK_MILLIS = 1_000;
    /** A consumer idle this many visibility timeouts with nothing pending belongs to an instance that is gone. */
    static final int DEAD_AFTER_VISIBILITY_TIMEOUTS = 10;

    private final ConsumerContext context;
    private final AgentId agent;
    private final String consumer;
    private final Duration deadAfter;
    /** Zero for a permanent agent. */
    private final Duration expireAfter;

    private volatile boolean heartbeats = true;
    /** Reader thread only. */
    private long nextMoveNanos = System.nanoTime();

    private long nextHeartbeatNanos = System.nanoTime();
    /** A temporary agent's TTL is renewed with the heartbeat, and at least every third of the TTL. */
    private final long heartbeatNanos;
    /** Spread over the first half period: agents started together do not all sweep at once. */
    private long nextSweepNanos;

    /**
     * @param delivery the instance's: a consumer idle many visibility timeouts, holding nothing, is gone;
     *     and whether the agent is temporary
     */
    AgentUpkeep(ConsumerContext context, AgentId agent, String consumer, DeliveryOptions delivery) {
        this.context = context;
        this.agent = agent;
        this.consumer = consumer;
        this.deadAfter = delivery.visibilityTimeout().multipliedBy(DEAD_AFTER_VISIBILITY_TIMEOUTS);
        this.expireAfter = delivery.expireAfter();
        long heartbeat = context.options().consumer().presenceHeartbeat().toNanos();
        this.heartbeatNanos = delivery.temporary() ? Math.min(heartbeat, expireAfter.toNanos() / 3) : heartbeat;
        this.nextSweepNanos = System.nanoTime() + ThreadLocalRandom.current().nextLong(deadAfter.toNanos() / 2 + 1);
    }

    /** The instance is closing: it no longer says it is live. */
    void stopHeartbeats() {
        heartbeats = false;
    }

    @Override
    public AgentId agent() {
        return agent;
    }

    @Override
    public long maintain(long now) {
        if (heartbeats && now - nextHeartbeatNanos >= 0) {
            context.presence().heartbeat(agent, consumer);
            if (!expireAfter.isZero()) {
                context.scripts().expireTemporary(agent, expireAfter).whenComplete((touched, failure) -> {
                    if (failure != null) {
                        log.warn("could not renew the TTL of temporary agent {}'s keys: {}", agent, failure.toString());
                    }
                });
            }
            nextHeartbeatNanos = now + heartbeatNanos;
        }
        if (now - nextMoveNanos >= 0) {
            long waitMillis = Await.result(
                    context.scripts().moveDue(agent),
                    context.options().connection().commandTimeout().toMillis(),
                    "move due delayed messages of " + agent);
            long nextMillis = waitMillis < 0 ? MOVE_CHECK_MILLIS : Math.min(waitMillis, MOVE_CHECK_MILLIS);
            nextMoveNanos = now + TimeUnit.MILLISECONDS.toNanos(nextMillis);
        }
        if (heartbeats && now - nextSweepNanos >= 0) {
            long removed = 0;
            for (ConsumedStream band : ConsumedStream.inboxBands(agent)) {
                removed += context.scripts().sweepConsumers(band, consumer, deadAfter);
            }
            if (removed > 0) {
                log.info(
                        "removed {} consumers of {}'s inbox idle over {} with nothing pending",
                        removed,
                        agent,
                        deadAfter);
            }
            nextSweepNanos = now + deadAfter.toNanos() / 2;
        }
        return heartbeats ? Math.min(Math.min(nextMoveNanos, nextHeartbeatNanos), nextSweepNanos) : nextMoveNanos;
    }

    /**
     * The instance closed: a temporary agent's keys go at once (a permanent agent keeps its inbox). Its
     * instance was the only one (a temporary id is made up for one process), and a message still
     * pending in its inbox was for it alone.
     */
    CompletionStage<?> closed() {
        return expireAfter.isZero()
                ? CompletableFuture.completedFuture(null)
                : context.scripts().expireTemporary(agent, Duration.ZERO);
    }

    @Override
    public String toString() {
        return "upkeep of " + agent + " as " + consumer;
    }
}
