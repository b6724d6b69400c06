package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.Priority;
import io.agentbus.protocol.KeySchema;

/**
 * The priority bands of an inbox: one stream each, read highest first. A band's stream keeps the
 * arrival order of its messages (so the order per sender within a priority), and an instance handles
 * what it has read of a higher band before anything of a lower one. The limits are a protocol fact
 * that move_due.lua and redrive.lua share through protocol.lua.
 */
enum PriorityBand {
    /** Priorities 7-9 (high, urgent, critical): {@code agent:{id}:inbox:high}. */
    HIGH(KeySchema.HIGH_BAND_LOWEST_PRIORITY),
    /** Priorities 4-6, the default 5 among them: {@code agent:{id}:inbox}. */
    NORMAL(KeySchema.NORMAL_BAND_LOWEST_PRIORITY),
    /** Priorities 1-3 (low): {@code agent:{id}:inbox:low}. */
    LOW(Priority.MIN);

    private final int lowestPriority;

    PriorityBand(int lowestPriority) {
        this.lowestPriority = lowestPriority;
    }

    static PriorityBand of(int priority) {
        for (PriorityBand band : values()) {
            if (priority >= band.lowestPriority) {
                return band;
            }
        }
        return LOW;
    }

    String inbox(AgentId agent) {
        return KeySchema.inbox(agent, lowestPriority);
    }

    String failures(AgentId agent) {
        return KeySchema.failures(agent, lowestPriority);
    }

    /** Higher first: the order of an instance's queue and of the streams in an XREADGROUP call. */
    int rank() {
        return values().length - ordinal();
    }
}
