package io.agentbus.cli.server;

import io.agentbus.AgentId;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusStatsSnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Gauges of what Redis holds, refreshed from each {@link BusStatsSnapshot} the server samples: per known agent
 * {@code inbox.length}, {@code inbox.pending}, {@code inbox.dead.letters} and {@code inbox.oldest.pending.age}
 * (seconds; 0 when nothing is pending), and {@code agents.live}. In Prometheus form: {@code inbox_length},
 * {@code inbox_pending}, {@code inbox_dead_letters}, {@code inbox_oldest_pending_age_seconds}, {@code agents_live}.
 * The only tag is {@code agent}, bounded by the agents of the bus. Unlike the bus's own meters, which count
 * what one process did, these read the shared state, so one server reports them for every process.
 */
final class RedisGauges {

    private final MeterRegistry registry;
    private final Map<AgentId, InboxFigures> inboxes = new HashMap<>();
    private volatile double liveAgents;

    RedisGauges(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("agents.live", this, gauges -> gauges.liveAgents)
                .description("Agents with at least one running instance (by heartbeat)")
                .register(registry);
    }

    /** Called by one thread at a time (the sampler); scrapes read concurrently. */
    void update(BusStatsSnapshot snapshot) {
        for (InboxStats inbox : snapshot.inboxes()) {
            InboxFigures figures = inboxes.get(inbox.agent());
            if (figures == null) {
                inboxes.put(inbox.agent(), register(new InboxFigures(inbox)));
            } else {
                figures.inbox = inbox;
            }
        }
        liveAgents = snapshot.live().size();
    }

    /** Registers the agent's gauges once; they read the latest figures through the holder. */
    private InboxFigures register(InboxFigures figures) {
        String tag = figures.inbox.agent().value();
        Gauge.builder("inbox.length", figures, f -> f.inbox.length())
                .tag("agent", tag)
                .description("Entries in the agent's inbox streams, handled ones included until trimmed")
                .register(registry);
        Gauge.builder("inbox.pending", figures, f -> f.inbox.pending())
                .tag("agent", tag)
                .description("Entries delivered to an instance and not yet acknowledged")
                .register(registry);
        Gauge.builder("inbox.dead.letters", figures, f -> f.inbox.deadLetters())
                .tag("agent", tag)
                .description("Entries in the agent's dead letters (agent:{id}:dlq)")
                .register(registry);
        Gauge.builder(
                        "inbox.oldest.pending.age",
                        figures,
                        f -> f.inbox.oldestPendingAge().map(Duration::toMillis).orElse(0L) / 1000.0)
                .tag("agent", tag)
                .baseUnit("seconds")
                .description("Age of the oldest pending entry; 0 when none is pending")
                .register(registry);
        return figures;
    }

    /** The latest figures of one inbox; the gauges hold it strongly, so it lives as long as the registry. */
    private static final class InboxFigures {
        volatile InboxStats inbox;

        InboxFigures(InboxStats inbox) {
            this.inbox = inbox;
        }
    }
}
