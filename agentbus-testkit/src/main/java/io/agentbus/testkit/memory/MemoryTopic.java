package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.KeySchema;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A durable topic on an in-memory server: one stream ({@code topic:{name}}, or a durable swarm event
 * type's {@code event:{swarm}:<type>}), one consumer group per subscriber group, delivered with the
 * inbox's rules, dead letters per group. Retention is applied by {@link #trim()} and after every
 * 1,000 publishes through this handle, as on Redis.
 */
final class MemoryTopic implements DurableTopic {

    private static final long TRIM_EVERY = 1_000;

    private final InMemoryAgentBus bus;
    private final String name;
    private final String key;
    private final Retention retention;
    private final AtomicLong publishes = new AtomicLong();

    MemoryTopic(InMemoryAgentBus bus, String name, String key, Retention retention) {
        this.bus = bus;
        this.name = name;
        this.key = key;
        this.retention = retention;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<SendReceipt> publish(Envelope envelope) {
        CompletionStage<SendReceipt> receipt =
                bus.append(key, KeySchema.streamDedup(key, envelope.messageId()), envelope, null, 0);
        if (publishes.incrementAndGet() % TRIM_EVERY == 0) {
            trim();
        }
        return receipt;
    }

    @Override
    public Subscription subscribe(AgentId group, StartFrom from, MessageHandler handler) {
        return subscribe(group, from, bus.options().delivery(), handler);
    }

    @Override
    public Subscription subscribe(AgentId group, StartFrom from, DeliveryOptions delivery, MessageHandler handler) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(from, "from");
        MemoryStream stream;
        synchronized (bus.server()) {
            stream = bus.server().stream(key);
            stream.createGroup(group.value(), from == StartFrom.OLDEST);
        }
        return bus.startConsumer(group, group.value(), () -> List.of(stream), delivery, handler, false);
    }

    @Override
    public long trim() {
        InMemoryServer server = bus.server();
        synchronized (server) {
            MemoryStream stream = server.existingStream(key);
            return stream == null ? 0 : stream.trim(retention, server.clock.instant());
        }
    }

    @Override
    public DeadLetters deadLetters(AgentId group) {
        return new MemoryDeadLetters(bus, group, KeySchema.groupDeadLetters(key, group.value()));
    }
}
