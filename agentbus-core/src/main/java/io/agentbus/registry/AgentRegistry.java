package io.agentbus.registry;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.ConsumerOptions;
import io.agentbus.Subscription;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Agent cards and presence. A card is published once (it stays until removed); presence is kept by
 * the running instances themselves: every subscription of an agent heartbeats (every
 * {@link ConsumerOptions#presenceHeartbeat()}, valid for {@link ConsumerOptions#presenceTtl()}), so an agent is
 * live while one of its instances runs, and goes offline within the TTL after the last one died (at
 * once after a clean close). Lookups use index
 * structures, never KEYS or SCAN. Obtain it with {@link AgentBus#registry()}. Methods block.
 */
public interface AgentRegistry {

    /** A change of presence, as {@link #watch} reports it. */
    record PresenceEvent(AgentId agent, boolean joined) {}

    /** Publishes (or replaces) the card of {@code card.id()}, and indexes its capabilities. */
    void publish(AgentCard card);

    /** Removes a card and its index entries. */
    void remove(AgentId agent);

    Optional<AgentCard> card(AgentId agent);

    /** The agents with at least one live instance, with their cards (a live agent without a card gets a bare one). */
    List<AgentCard> live();

    /**
     * Every agent that was ever sent a message or subscribed on this Redis, live or not, sorted by id:
     * an agent with a backlog and no running instance is listed here and not in {@link #live()}.
     */
    List<AgentId> known();

    /** Live agents whose card lists {@code capability}: "who can do seo_audit?". */
    List<AgentCard> withCapability(String capability);

    /** Whether {@code agent} has a live instance now. */
    boolean isLive(AgentId agent);

    /**
     * Reports agents joining (first live instance) and leaving (last instance gone or expired), as any
     * bus on this Redis sees them, until the returned handle is closed. Leaves are detected by the
     * heartbeats of running buses, so within about one heartbeat after the TTL.
     */
    Subscription watch(Consumer<PresenceEvent> listener);
}
