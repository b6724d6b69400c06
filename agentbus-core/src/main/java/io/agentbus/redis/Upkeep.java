package io.agentbus.redis;

import io.agentbus.AgentId;

/**
 * Periodic work of a running instance that rides on its lane's loop ({@link LaneReader}): a feed's
 * reclaim and leases ({@link StreamFeed}), or an agent's heartbeat and delayed messages ({@link AgentUpkeep}).
 */
interface Upkeep {

    /** The agent (or subscriber group) whose work it is: the one a failure is counted against. */
    AgentId agent();

    /**
     * Runs what is due at {@code now}.
     *
     * @return when it is next due, as a {@link System#nanoTime()} value
     */
    long maintain(long now);
}
