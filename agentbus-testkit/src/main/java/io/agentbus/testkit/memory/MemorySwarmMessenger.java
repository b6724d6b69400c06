package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.protocol.KeySchema;
import io.agentbus.swarm.SwarmMessenger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inter-swarm messenger on an in-memory server: one stream per pair
 * ({@code message:<from>:{<to>}}) whose group {@code swarm} exists from the first message on, a
 * senders index per receiving swarm, and a receiver that consumes every sender's stream (including
 * senders that appear later) with the inbox's rules. A send trims the pair to its history bound, never
 * dropping what the receivers have not settled.
 */
final class MemorySwarmMessenger implements SwarmMessenger {

    /** The senders index of every receiving swarm; guarded by the server's lock. */
    static final class Senders {
        private final Map<String, Set<String>> byReceiver = new HashMap<>();
    }

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;
    private final Retention history;
    private final Map<String, Subscription> receivers = new ConcurrentHashMap<>();

    MemorySwarmMessenger(InMemoryAgentBus bus) {
        this.bus = bus;
        this.server = bus.server();
        this.history = Retention.maxLength(bus.options().swarm().messageHistory());
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope message) {
        String from = message.fromAgent().value();
        String to = message.toAgent().value();
        String key = KeySchema.swarmMessages(from, to);
        synchronized (server) {
            server.stream(key).createGroup(KeySchema.MESSENGER_GROUP, true);
            server.senders
                    .byReceiver
                    .computeIfAbsent(to, name -> new TreeSet<>())
                    .add(from);
        }
        CompletionStage<SendReceipt> stored =
                bus.append(key, KeySchema.streamDedup(key, message.messageId()), message, null, 0);
        synchronized (server) {
            server.stream(key).trim(history, server.clock.instant());
        }
        return stored;
    }

    @Override
    public CompletionStage<SendReceipt> send(String fromSwarm, String toSwarm, String type, String payload) {
        return send(Envelope.builder()
                .from(fromSwarm)
                .to(toSwarm)
                .type(type)
                .payload(payload)
                .build());
    }

    @Override
    public Subscription receive(String toSwarm, MessageHandler handler) {
        String to = AgentId.of(toSwarm).value();
        Objects.requireNonNull(handler, "handler");
        synchronized (receivers) {
            if (receivers.containsKey(to)) {
                throw new IllegalStateException("this bus already runs a receiver of swarm " + to
                        + "; close it first, or receive in another process");
            }
            Subscription receiver = bus.startConsumer(
                    AgentId.of(to),
                    KeySchema.MESSENGER_GROUP,
                    () -> streamsTo(to),
                    bus.options().delivery(),
                    handler,
                    false);
            receivers.put(to, receiver);
            return new Subscription() {
                @Override
                public String consumer() {
                    return receiver.consumer();
                }

                @Override
                public void close() {
                    receiver.close();
                    receivers.remove(to, receiver);
                }
            };
        }
    }

    /** Under the server's lock: the streams of every swarm that has sent to {@code to}. */
    private List<MemoryStream> streamsTo(String to) {
        List<MemoryStream> streams = new ArrayList<>();
        for (String from : server.senders.byReceiver.getOrDefault(to, Set.of())) {
            streams.add(server.stream(KeySchema.swarmMessages(from, to)));
        }
        return streams;
    }

    @Override
    public List<Entry> history(String fromSwarm, String toSwarm, int limit) {
        List<Entry> all = entries(fromSwarm, toSwarm);
        return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
    }

    @Override
    public List<Entry> historyAfter(String fromSwarm, String toSwarm, String afterEntryId, int limit) {
        List<Entry> after = new ArrayList<>();
        for (Entry entry : entries(fromSwarm, toSwarm)) {
            if (after.size() < limit && sequence(entry.entryId()) > sequence(afterEntryId)) {
                after.add(entry);
            }
        }
        return after;
    }

    private List<Entry> entries(String fromSwarm, String toSwarm) {
        synchronized (server) {
            MemoryStream stream = server.existingStream(KeySchema.swarmMessages(fromSwarm, toSwarm));
            List<Entry> entries = new ArrayList<>();
            if (stream != null) {
                stream.entries().forEach(entry -> entries.add(new Entry(entry.id(), entry.envelope())));
            }
            return entries;
        }
    }

    @Override
    public Set<String> senders(String toSwarm) {
        synchronized (server) {
            return Set.copyOf(server.senders.byReceiver.getOrDefault(toSwarm, Set.of()));
        }
    }

    private static long sequence(String entryId) {
        return Long.parseLong(entryId.substring(entryId.indexOf('-') + 1));
    }
}
