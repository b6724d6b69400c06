package io.agentbus.redis;

import io.agentbus.AgentId;
import java.util.concurrent.TimeUnit;

/**
 * The periodic duties of a running instance of an agent, on its lane's loop: the presence heartbeat,
 * and moving the agent's due delayed messages into its inbox.
 */
final class AgentUpkeep implements LaneReader.Upkeep {

    /** Look for due delayed messages at least this often: another process may schedule one due sooner. */
    private static final long MOVE_CHECK_MILLIS = 1_000;

    private final ConsumerContext context;
    private final AgentId agent;
    private final String consumer;
    private volatile boolean heartbeats = true;
    /** Reader thread only. */
    private long nextMoveNanos = System.nanoTime();

    private long nextHeartbeatNanos = System.nanoTime();

    AgentUpkeep(ConsumerContext context, AgentId agent, String consumer) {
        this.context = context;
        this.agent = agent;
        this.consumer = consumer;
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
        return heartbeats ? Math.min(nextMoveNanos, nextHeartbeatNanos) : nextMoveNanos;
    }

    @Override
    public String toString() {
        return "upkeep of " + agent + " as " + consumer;
    }
}
