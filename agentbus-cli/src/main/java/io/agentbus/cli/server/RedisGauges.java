package io.agentbus.cli.server;

import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusStatsSnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gauges of what Redis holds, refreshed from each {@link BusStatsSnapshot} the server samples: per known agent
 * {@code inbox.length}, {@code inbox.pending}, {@code inbox.dead.letters} and {@code inbox.oldest.pending.age}
 * (seconds; 0 when nothing is pending), and {@code agents.live}. In Prometheus form: {@code inbox_length},
 * {@code inbox_pending}, {@code inbox_dead_letters}, {@code inbox_oldest_pending_age_seconds}, {@code agents_live}.
 * The only tag is {@code agent}, bounded by the agents of the bus. Unlike the bus's own meters, which count
 * what one process did, these read the shared state, so one server reports them for every process.
 *
 * <p>An agent's gauges are removed when it is no longer in the sample (gone from {@code agents:known}, or its
 * keys unreadable), so no series goes on showing figures nobody measures any more; while its keys cannot be
 * read, {@code agent.unreadable} (Prometheus {@code agent_unreadable}) is 1 for it instead.
 * {@code stats.sample.age} ({@code stats_sample_age_seconds}) is how old the figures are: it grows while
 * samples fail (Redis away), so an alert can tell stale figures from calm ones.
 */
final class RedisGauges {

    private final MeterRegistry registry;
    private final Map<AgentId, InboxFigures> inboxes = new HashMap<>();
    private final Map<AgentId, Meter> unreadable = new HashMap<>();
    private volatile double liveAgents;
    private volatile long sampledNanos = System.nanoTime();

    RedisGauges(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("agents.live", this, gauges -> gauges.liveAgents)
                .description("Agents with at least one running instance (by heartbeat)")
                .register(registry);
        Gauge.builder("stats.sample.age", this, gauges -> (System.nanoTime() - gauges.sampledNanos) / 1e9)
                .baseUnit("seconds")
                .description("Age of the figures these gauges show; grows while sampling fails")
                .register(registry);
    }

    /** Called by one thread at a time (the sampler); scrapes read concurrently. */
    void update(BusStatsSnapshot snapshot) {
        Set<AgentId> sampled = new HashSet<>();
        for (InboxStats inbox : snapshot.inboxes()) {
            sampled.add(inbox.agent());
            InboxFigures figures = inboxes.get(inbox.agent());
            if (figures == null) {
                inboxes.put(inbox.agent(), register(new InboxFigures(inbox)));
            } else {
                figures.inbox = inbox;
            }
        }
        inboxes.entrySet().removeIf(entry -> {
            boolean gone = !sampled.contains(entry.getKey());
            if (gone) {
                entry.getValue().meters.forEach(registry::remove);
            }
            return gone;
        });
        unreadable.entrySet().removeIf(entry -> {
            boolean readable = !snapshot.errors().containsKey(entry.getKey());
            if (readable) {
                registry.remove(entry.getValue());
            }
            return readable;
        });
        for (AgentId agent : snapshot.errors().keySet()) {
            unreadable.computeIfAbsent(agent, this::registerUnreadable);
        }
        liveAgents = snapshot.live().size();
        sampledNanos = snapshot.nanoTime();
    }

    private Meter registerUnreadable(AgentId agent) {
        return Gauge.builder("agent.unreadable", () -> 1)
                .tag("agent", agent.value())
                .description(
                        "1 while the agent's keys cannot be read (a key of the wrong type): its figures are not shown")
                .register(registry);
    }

    /** Registers the agent's gauges once; they read the latest figures through the holder. */
    private InboxFigures register(InboxFigures figures) {
        String tag = figures.inbox.agent().value();
        figures.meters.add(Gauge.builder("inbox.length", figures, f -> f.inbox.length())
                .tag("agent", tag)
                .description("Entries in the agent's inbox streams, handled ones included until trimmed")
                .register(registry));
        figures.meters.add(Gauge.builder("inbox.pending", figures, f -> f.inbox.pending())
                .tag("agent", tag)
                .description("Entries delivered to an instance and not yet acknowledged")
                .register(registry));
        figures.meters.add(Gauge.builder("inbox.dead.letters", figures, f -> f.inbox.deadLetters())
                .tag("agent", tag)
                .description("Entries in the agent's dead letters (agent:{id}:dlq)")
                .register(registry));
        figures.meters.add(Gauge.builder(
                        "inbox.oldest.pending.age",
                        figures,
                        f -> f.inbox.oldestPendingAge().map(Duration::toMillis).orElse(0L) / 1000.0)
                .tag("agent", tag)
                .baseUnit("seconds")
                .description("Age of the oldest pending entry; 0 when none is pending")
                .register(registry));
        return figures;
    }

    /** The latest figures of one inbox, and the gauges that read them (which hold it strongly). */
    private static final class InboxFigures {
        volatile InboxStats inbox;
        final List<Meter> meters = new ArrayList<>();

        InboxFigures(InboxStats inbox) {
            this.inbox = inbox;
        }
    }
}
