package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.InboxStats;

/**
 * Whether an agent exists, for the read-only commands that name one: a typo must not print an empty
 * inbox with exit 0 (the answer of an agent that exists and is idle). An agent exists if it is in
 * {@code agents:known} (ever sent to or subscribed), or if anything of it is in Redis, for agents the
 * index leaves out (a temporary agent, one made before the index).
 */
public final class AgentLookup {

    private AgentLookup() {}

    /** True if {@code agent} is indexed or has an inbox group, entries, dead letters or delayed messages. */
    public static boolean exists(AgentBus bus, AgentId agent, InboxStats inbox) {
        return inbox.groupExists()
                || inbox.length() > 0
                || inbox.deadLetters() > 0
                || inbox.delayed() > 0
                || bus.registry().known().contains(agent);
    }

    /** {@link #exists} with a fresh look at the inbox. */
    public static boolean exists(AgentBus bus, AgentId agent) {
        return exists(bus, agent, bus.sync().inbox(agent));
    }

    /**
     * @throws CommandFailure ({@link ExitCodes#NOT_FOUND}) if {@code agent} does not {@link #exists exist}
     */
    public static void require(AgentBus bus, AgentId agent, InboxStats inbox) {
        if (!exists(bus, agent, inbox)) {
            throw unknown(bus, agent);
        }
    }

    /** {@link #require} with a fresh look at the inbox. */
    public static void require(AgentBus bus, AgentId agent) {
        require(bus, agent, bus.sync().inbox(agent));
    }

    private static CommandFailure unknown(AgentBus bus, AgentId agent) {
        return new CommandFailure(
                ExitCodes.NOT_FOUND,
                "no agent " + agent + " on " + bus.redisUri() + ": never sent to or subscribed, and nothing of it"
                        + " in Redis (agentbus stats lists the agents)");
    }
}
