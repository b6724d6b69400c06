package io.agentbus.redis;

import io.agentbus.AgentId;

/**
 * The priority bands of an inbox: one stream each, read highest first. A band's stream keeps the
 * arrival order of its messages (so the order per sender within a priority), and an instance handles
 * what it has read of a higher band before anything of a lower one.
 */
enum PriorityBand {
    /** Priorities 7-9 (high, urgent, critical): {@code agent:{id}:inbox:high}. */
    HIGH(7, ":high"),
    /** Priorities 4-6, the default 5 among them: {@code agent:{id}:inbox}. */
    NORMAL(4, ""),
    /** Priorities 1-3 (low): {@code agent:{id}:inbox:low}. */
    LOW(1, ":low");

    private final int lowestPriority;
    private final String suffix;

    PriorityBand(int lowestPriority, String suffix) {
        this.lowestPriority = lowestPriority;
        this.suffix = suffix;
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
        return "agent:{" + agent.value() + "}:inbox" + suffix;
    }

    String failures(AgentId agent) {
        return "agent:{" + agent.value() + "}:failures" + suffix;
    }

    /** Higher first: the order of an instance's queue and of the streams in an XREADGROUP call. */
    int rank() {
        return values().length - ordinal();
    }
}
