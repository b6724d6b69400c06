package io.agentbus.redis;

import io.agentbus.AgentId;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic duties of a running instance of an agent, on its lane's loop: the presence heartbeat,
 * moving the agent's due delayed messages into its inbox, and sweeping the consumers of instances that
 * ended without closing (idle for {@value #DEAD_AFTER_VISIBILITY_TIMEOUTS} visibility timeouts with
 * nothing pending).
 */
final class AgentUpkeep implements LaneReader.Upkeep {

    private static final Logger log = LoggerFactory.getLogger(AgentUpkeep.class);

    /** Look for due delayed messages at least this often: another process may schedule one due sooner. */
    private static final long MOVE_CHECK_MILLIS = 1_000;
    /** A consumer idle this many visibility timeouts with nothing pending belongs to an instance that is gone. */
    static final int DEAD_AFTER_VISIBILITY_TIMEOUTS = 10;

    private final ConsumerContext context;
    private final AgentId agent;
    private final String consumer;
    private final Duration deadAfter;
    private volatile boolean heartbeats = true;
    /** Reader thread only. */
    private long nextMoveNanos = System.nanoTime();

    private long nextHeartbeatNanos = System.nanoTime();
    /** Spread over the first half period: agents started together do not all sweep at once. */
    private long nextSweepNanos;

    /** @param visibilityTimeout the instance's: a consumer idle many of them, holding nothing, is gone */
    AgentUpkeep(ConsumerContext context, AgentId agent, String consumer, Duration visibilityTimeout) {
        this.context = context;
        this.agent = agent;
        this.consumer = consumer;
        this.deadAfter = visibilityTimeout.multipliedBy(DEAD_AFTER_VISIBILITY_TIMEOUTS);
        this.nextSweepNanos = System.nanoTime() + ThreadLocalRandom.current().nextLong(deadAfter.toNanos() / 2 + 1);
    }

    /** The instance is closing: it no longer says it is live. */
    void stopHeartbeats() {
        heartbeats = false;
    }

    @Override
    public long maintain(long now) {
        if (heartbeats && now - nextHeartbeatNanos >= 0) {
            context.presence().heartbeat(agent, consumer);
            nextHeartbeatNanos =
                    now + context.options().consumer().presenceHeartbeat().toNanos();
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

    @Override
    public String toString() {
        return "upkeep of " + agent + " as " + consumer;
    }
}
