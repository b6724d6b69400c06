package io.agentbus.cli.server;

import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusStatsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The meters of what Redis holds, refreshed from each {@link BusStatsSnapshot} the server samples (docs/OPERATIONS.md
 * lists them in Prometheus form). Per known agent, tag {@code agent}: the inbox gauges {@code agentbus.inbox.length}
 * (retained entries), {@code .backlog} (unread), {@code .oldest.unread.age}, {@code .pending},
 * {@code .oldest.pending.age}, {@code .dead.letters}; {@code agentbus.agent.live}; {@code agentbus.agent.status}
 * (1, tagged with the current {@link AgentStatus}); and the agent's Redis counters ({@code agent:{id}:counters}) as
 * counters {@code agentbus.messages.sent}, {@code .acked}, ... Bus-wide: {@code agents.live}. The seed's unprefixed
 * names ({@code inbox.length}, {@code inbox.pending}, {@code inbox.dead.letters}, {@code inbox.oldest.pending.age},
 * {@code agents.live}, {@code agent.unreadable}, {@code stats.sample.age}) are kept as aliases for one release.
 * Unlike the bus's own meters, which count what one process did, these read the shared state, so one server reports
 * them for every process.
 *
 * <p>Honesty. A meter shows a figure only while it is measured: an agent's meters are removed when it is no longer in
 * the sample (gone from {@code agents:known}, say after Redis came back empty), and while its keys are unreadable,
 * when {@code agent.unreadable} is 1 for it instead. While a sample fails (Redis away) every meter of this class is
 * removed, except {@code stats.sample.age}, which grows: absent series, not frozen ones, and {@code redis_connected}
 * (the bus's own gauge) says why.
 */
final class RedisGauges {

    private static final String PREFIX = "agentbus.";

    private final MeterRegistry registry;
    private final Map<AgentId, AgentMeters> agents = new HashMap<>();
    private final Map<AgentId, List<Meter>> unreadable = new HashMap<>();
    private final List<Meter> busWide = new ArrayList<>();
    private volatile double liveAgents;
    private volatile long sampledNanos = System.nanoTime();

    RedisGauges(MeterRegistry registry) {
        this.registry = registry;
        for (String name : List.of("stats.sample.age", PREFIX + "stats.sample.age")) {
            Gauge.builder(name, this, gauges -> (System.nanoTime() - gauges.sampledNanos) / 1e9)
                    .baseUnit("seconds")
                    .description(
                            "Age of the Redis-side figures; grows while sampling fails (they are absent meanwhile)")
                    .register(registry);
        }
    }

    /** Called by one thread at a time (the sampler); scrapes read concurrently. */
    void update(BusStatsSnapshot snapshot, Map<AgentId, AgentStatus> statuses) {
        if (busWide.isEmpty()) {
            for (String name : List.of("agents.live", PREFIX + "agents.live")) {
                busWide.add(Gauge.builder(name, this, gauges -> gauges.liveAgents)
                        .description("Agents with at least one running instance (by heartbeat)")
                        .register(registry));
            }
        }
        Set<AgentId> liveIds = snapshot.liveIds();
        Map<AgentId, AgentMeters> sampled = new HashMap<>();
        for (InboxStats inbox : snapshot.inboxes()) {
            AgentMeters meters = agents.remove(inbox.agent());
            if (meters == null) {
                meters = register(new AgentMeters(inbox));
            }
            meters.inbox = inbox;
            meters.live = liveIds.contains(inbox.agent());
            meters.showStatus(statuses.get(inbox.agent()));
            sampled.put(inbox.agent(), meters);
        }
        agents.values().forEach(AgentMeters::remove); // those left were not in this sample
        agents.clear();
        agents.putAll(sampled);
        unreadable.entrySet().removeIf(entry -> {
            boolean readable = !snapshot.errors().containsKey(entry.getKey());
            if (readable) {
                entry.getValue().forEach(registry::remove);
            }
            return readable;
        });
        for (AgentId agent : snapshot.errors().keySet()) {
            unreadable.computeIfAbsent(agent, this::registerUnreadable);
        }
        liveAgents = snapshot.live().size();
        sampledNanos = snapshot.nanoTime();
    }

    /** A sample failed: nothing Redis holds is measured now, so no meter may go on showing it. */
    void unavailable() {
        agents.values().forEach(AgentMeters::remove);
        agents.clear();
        unreadable.values().forEach(meters -> meters.forEach(registry::remove));
        unreadable.clear();
        busWide.forEach(registry::remove);
        busWide.clear();
    }

    private List<Meter> registerUnreadable(AgentId agent) {
        List<Meter> meters = new ArrayList<>();
        for (String name : List.of("agent.unreadable", PREFIX + "agent.unreadable")) {
            meters.add(Gauge.builder(name, () -> 1)
                    .tag("agent", agent.value())
                    .description(
                            "1 while the agent's keys cannot be read (a key of the wrong type): its figures are not shown")
                    .register(registry));
        }
        return meters;
    }

    /** Registers the agent's meters once; they read the latest figures through the holder. */
    private AgentMeters register(AgentMeters agent) {
        agent.gaugeWithAlias(
                "inbox.length",
                "Entries retained in the agent's inbox streams, handled ones included until trimmed",
                f -> f.inbox.length());
        agent.gaugeWithAlias(
                "inbox.pending", "Entries delivered to an instance and not yet acknowledged", f -> f.inbox.pending());
        agent.gaugeWithAlias(
                "inbox.dead.letters",
                "Entries in the agent's dead letters (agent:{id}:dlq)",
                f -> f.inbox.deadLetters());
        agent.ageWithAlias(
                "inbox.oldest.pending.age",
                "Age of the oldest pending entry; 0 when none is pending",
                f -> f.inbox.oldestPendingAge());
        agent.gauge(
                PREFIX + "inbox.backlog",
                "Entries appended to the agent's inbox and delivered to no instance yet (on Redis 6.2 counted up to "
                        + InboxStats.UNREAD_COUNT_LIMIT + " per band)",
                null,
                f -> f.inbox.unread());
        agent.gauge(
                PREFIX + "inbox.oldest.unread.age",
                "Age of the oldest unread entry; 0 when none is unread",
                "seconds",
                f -> seconds(f.inbox.oldestUnreadAge()));
        agent.gauge(
                PREFIX + "agent.live",
                "1 while the agent has a running instance (agents:live, by heartbeat), else 0",
                null,
                f -> f.live ? 1 : 0);
        agent.counter(
                PREFIX + "messages.sent", "Messages accepted into the agent's inbox, by every process", c -> c.sent());
        agent.counter(PREFIX + "messages.acked", "Deliveries acknowledged, by every process", c -> c.acked());
        agent.counter(
                PREFIX + "messages.retried",
                "Failed deliveries scheduled for another attempt, by every process",
                c -> c.retried());
        agent.counter(
                PREFIX + "messages.dead.lettered",
                "Messages moved to dead letters (expired ones excepted), by every process",
                c -> c.deadLettered());
        agent.counter(
                PREFIX + "messages.expired", "Messages moved to dead letters because they expired", c -> c.expired());
        agent.counter(
                PREFIX + "messages.deduplicated",
                "Sends refused as a repeat of a message id within the dedup window",
                c -> c.deduplicated());
        agent.counter(PREFIX + "messages.redriven", "Dead letters moved back into the inbox", c -> c.redriven());
        return agent;
    }

    private static double seconds(Optional<Duration> age) {
        return age.map(Duration::toMillis).orElse(0L) / 1000.0;
    }

    /** The latest figures of one agent, and the meters that read them (which hold it strongly). */
    private final class AgentMeters {
        volatile InboxStats inbox;
        volatile boolean live;
        final List<Meter> meters = new ArrayList<>();
        private AgentStatus status;
        private Meter statusMeter;

        AgentMeters(InboxStats inbox) {
            this.inbox = inbox;
        }

        private String tag() {
            return inbox.agent().value();
        }

        void gaugeWithAlias(String seedName, String description, ToDoubleFunction<AgentMeters> value) {
            gauge(seedName, description, null, value);
            gauge(PREFIX + seedName, description, null, value);
        }

        void ageWithAlias(String seedName, String description, Function<AgentMeters, Optional<Duration>> age) {
            gauge(seedName, description, "seconds", f -> seconds(age.apply(f)));
            gauge(PREFIX + seedName, description, "seconds", f -> seconds(age.apply(f)));
        }

        void gauge(String name, String description, String unit, ToDoubleFunction<AgentMeters> value) {
            meters.add(Gauge.builder(name, this, value)
                    .tag("agent", tag())
                    .baseUnit(unit)
                    .description(description)
                    .register(registry));
        }

        void counter(String name, String description, ToDoubleFunction<InboxStats.Counters> value) {
            meters.add(FunctionCounter.builder(name, this, f -> value.applyAsDouble(f.inbox.counters()))
                    .tag("agent", tag())
                    .description(description)
                    .register(registry));
        }

        /** One series per agent: the previous status's series goes when the status changes. */
        void showStatus(AgentStatus next) {
            if (next == status) {
                return;
            }
            if (statusMeter != null) {
                registry.remove(statusMeter);
            }
            status = next;
            statusMeter = Gauge.builder(PREFIX + "agent.status", () -> 1)
                    .tags("agent", tag(), "status", next.label())
                    .description("1 for the agent's current status (ok, idle, backlog, stuck, failing; AgentStatus)")
                    .register(registry);
        }

        void remove() {
            meters.forEach(registry::remove);
            if (statusMeter != null) {
                registry.remove(statusMeter);
            }
        }
    }
}
