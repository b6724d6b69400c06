package io.agentbus;

import java.util.Locale;

/**
 * What an operator needs to know about an agent at a glance, decided in one place ({@link #of}) for
 * {@code agentbus stats}, {@code agentbus server} ({@code /api/stats}, the dashboard, the
 * {@code agentbus_agent_status} metric) and {@code agentbus check}. Only {@link #BACKLOG}, {@link #STUCK} and
 * {@link #FAILING} are problems: a busy healthy agent, with entries pending while its instances handle them,
 * is {@link #OK}.
 */
public enum AgentStatus {
    /** Running, or with nothing to do: nothing to look at. */
    OK,
    /** Nothing unread, nothing pending, no running instance: finished, or not started. */
    IDLE,
    /** Entries wait unread and no instance runs to take them. */
    BACKLOG,
    /**
     * An entry is held past the visibility timeout (see {@link InboxStats#overdue()}): its holder neither
     * settles nor extends it, and no running instance reclaims it.
     */
    STUCK,
    /** Messages were dead-lettered recently. */
    FAILING;

    /**
     * The status of an inbox, by precedence {@code STUCK > BACKLOG > FAILING > OK/IDLE}.
     *
     * @param inbox              the inbox's figures
     * @param live               whether the agent has a running instance ({@code agents:live}, by heartbeat)
     * @param deadLettersRising  whether the agent's dead-lettered (or expired) counters rose lately, as the caller
     *                           judges it between two samples: counters, not the dead-letter count, so that a purge
     *                           does not hide new ones
     */
    public static AgentStatus of(InboxStats inbox, boolean live, boolean deadLettersRising) {
        if (inbox.overdue() > 0) {
            return STUCK;
        }
        if (inbox.unread() > 0 && !live) {
            return BACKLOG;
        }
        if (deadLettersRising) {
            return FAILING;
        }
        return inbox.unread() == 0 && inbox.pending() == 0 && !live ? IDLE : OK;
    }

    /** Whether {@code after}'s dead-lettered or expired counter is above {@code before}'s (same agent). */
    public static boolean deadLettersRose(InboxStats before, InboxStats after) {
        return after.counters().deadLettered() + after.counters().expired()
                > before.counters().deadLettered() + before.counters().expired();
    }

    /** The lower-case name used in JSON and metric labels: {@code ok}, {@code backlog}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
