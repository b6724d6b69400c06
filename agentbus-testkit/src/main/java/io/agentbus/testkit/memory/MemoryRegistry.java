package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.Subscription;
import io.agentbus.protocol.KeySchema;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Cards and presence on an in-memory server. An agent is live while one of its instances runs on a
 * bus of the server: in memory no instance dies without closing, so there are no heartbeats to miss,
 * and an agent leaves the moment its last instance closes. Joins and leaves are broadcast on
 * {@link KeySchema#PRESENCE_CHANNEL} as {@code agent.joined} / {@code agent.left} from the agent, which
 * {@link #watch} listens to.
 */
final class MemoryRegistry implements AgentRegistry {

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;

    MemoryRegistry(InMemoryAgentBus bus) {
        this.bus = bus;
        this.server = bus.server();
    }

    @Override
    public void publish(AgentCard card) {
        Objects.requireNonNull(card, "card");
        synchronized (server) {
            server.cards.put(card.id(), card);
        }
    }

    @Override
    public void remove(AgentId agent) {
        synchronized (server) {
            server.cards.remove(agent);
        }
    }

    @Override
    public Optional<AgentCard> card(AgentId agent) {
        synchronized (server) {
            return Optional.ofNullable(server.cards.get(agent));
        }
    }

    @Override
    public List<AgentCard> live() {
        synchronized (server) {
            return liveAgents().stream().map(this::cardOrBare).toList();
        }
    }

    @Override
    public List<AgentId> known() {
        synchronized (server) {
            return server.known.stream().map(AgentId::of).toList();
        }
    }

    @Override
    public List<AgentCard> withCapability(String capability) {
        synchronized (server) {
            return liveAgents().stream()
                    .map(server.cards::get)
                    .filter(card -> card != null && card.capabilities().contains(capability))
                    .toList();
        }
    }

    @Override
    public boolean isLive(AgentId agent) {
        synchronized (server) {
            return server.consumers.stream().anyMatch(consumer -> consumer.consumesInboxOf(agent));
        }
    }

    @Override
    public Subscription watch(Consumer<PresenceEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        return bus.listen(
                KeySchema.PRESENCE_CHANNEL,
                (channel, event) -> listener.accept(
                        new PresenceEvent(event.fromAgent(), event.messageType().equals("agent.joined"))));
    }

    private Set<AgentId> liveAgents() {
        Set<AgentId> live = new TreeSet<>(Comparator.comparing(AgentId::value));
        for (MemoryConsumer consumer : server.consumers) {
            if (consumer.consumesInboxOf(consumer.subscriber())) {
                live.add(consumer.subscriber());
            }
        }
        return live;
    }

    private AgentCard cardOrBare(AgentId agent) {
        AgentCard card = server.cards.get(agent);
        return card != null ? card : AgentCard.of(agent, "");
    }
}
