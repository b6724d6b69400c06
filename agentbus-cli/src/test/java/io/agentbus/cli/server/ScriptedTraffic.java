package io.agentbus.cli.server;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.registry.AgentCard;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A known workload for the server tests: one fresh agent with a card and a running instance whose handler
 * dead-letters every message marked poison (until {@link #heal}), then acks. {@link #send} sends a batch with
 * every {@code poisonEvery}-th message poison and one resend of an earlier message id (deduplicated).
 */
final class ScriptedTraffic implements AutoCloseable {

    final AgentId agent;
    private final AgentBus bus;
    private final AtomicBoolean healed = new AtomicBoolean();
    private final Subscription subscription;

    ScriptedTraffic(AgentBus bus, String name) {
        this.bus = bus;
        this.agent = AgentId.of(name + "-" + System.nanoTime());
        bus.registry().publish(AgentCard.of(agent, "worker", "scripted"));
        subscription = bus.subscribe(agent, delivery -> {
            if (!healed.get() && delivery.envelope().payload().contains("poison")) {
                delivery.deadLetter("scripted poison");
            }
        });
    }

    /** Sends {@code messages} (every {@code poisonEvery}-th poison) and one duplicate of the first. */
    void send(int messages, int poisonEvery) {
        Envelope first = null;
        for (int i = 1; i <= messages; i++) {
            Envelope message = Envelope.builder()
                    .from("scripted_sender")
                    .to(agent)
                    .type("task")
                    .payload(Map.of("n", i, "kind", i % poisonEvery == 0 ? "poison" : "fine"))
                    .build();
            bus.sync().send(message);
            first = first == null ? message : first;
        }
        if (first != null && !bus.sync().send(first).duplicate()) {
            throw new AssertionError("a resend of " + first.messageId() + " was not deduplicated");
        }
    }

    static int poisonOf(int messages, int poisonEvery) {
        return messages / poisonEvery;
    }

    /** From now on poison messages are handled like the others: what a fixed handler does after a redrive. */
    void heal() {
        healed.set(true);
    }

    @Override
    public void close() {
        subscription.close();
    }
}
