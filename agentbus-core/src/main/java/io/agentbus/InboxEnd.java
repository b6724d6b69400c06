package io.agentbus;

/** Which end of an inbox {@link AgentBus#peek} reads. */
public enum InboxEnd {
    /** The oldest retained entries, oldest first. */
    OLDEST,
    /** The newest entries, newest first. */
    NEWEST
}
