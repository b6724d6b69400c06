package io.agentbus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
import io.agentbus.BusUnavailableException;
import io.agentbus.InboxStats;
import io.agentbus.registry.AgentCard;
import io.agentbus.swarm.Swarms;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * The figures of a whole bus at one moment, as {@code agentbus stats} prints them and {@code agentbus server}
 * serves them at {@code /api/stats}: every known agent's inbox and counters (kept in Redis, so they cover every
 * process), the live agents and the swarms. One instance per sample; two of them give a {@link MessageRate}.
 *
 * <p>An agent whose keys cannot be read (one of them holds the wrong type, say) is listed in {@code errors}
 * with what failed, and never hides the others; only Redis being unreachable fails the whole snapshot.
 */
public record BusStatsSnapshot(
        Instant at,
        long nanoTime,
        List<InboxStats> inboxes,
        Map<AgentId, String> errors,
        List<AgentCard> live,
        List<Swarms.Info> swarms) {

    /**
     * How far apart two snapshots are taken for a {@link MessageRate}: the sampling period of
     * {@code agentbus server} and the wait between the two snapshots of {@code agentbus stats}.
     */
    public static final long SAMPLE_PERIOD_MS = 1000;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Copies the lists, so a snapshot never changes. */
    public BusStatsSnapshot {
        inboxes = List.copyOf(inboxes);
        Map<AgentId, String> byId = new TreeMap<>(Comparator.comparing(AgentId::value));
        byId.putAll(errors);
        errors = Collections.unmodifiableMap(byId);
        live = List.copyOf(live);
        swarms = List.copyOf(swarms);
    }

    /** Reads the figures; the inboxes are asked for all at once, so a thousand agents cost one round of replies. */
    public static BusStatsSnapshot take(AgentBus bus) {
        Map<AgentId, CompletableFuture<InboxStats>> asked = new LinkedHashMap<>();
        for (AgentId agent : bus.registry().known()) {
            asked.put(agent, bus.inbox(agent).toCompletableFuture());
        }
        List<InboxStats> inboxes = new ArrayList<>();
        Map<AgentId, String> errors = new LinkedHashMap<>();
        asked.forEach((agent, inbox) -> {
            try {
                inboxes.add(inbox.join());
            } catch (CompletionException e) {
                // The bus's own exception says what failed; the wrapper does not.
                RuntimeException cause = e.getCause() instanceof RuntimeException runtime ? runtime : e;
                if (cause instanceof BusUnavailableException) {
                    throw cause; // Redis away: no agent can be read, nothing to show per agent
                }
                errors.put(agent, cause.getMessage() == null ? cause.toString() : cause.getMessage());
            }
        });
        return new BusStatsSnapshot(
                Instant.now(),
                System.nanoTime(),
                inboxes,
                errors,
                bus.registry().live(),
                bus.swarms().list());
    }

    /** The sum of every agent's counters. */
    public InboxStats.Counters totalCounters() {
        long sent = 0, deduplicated = 0, acked = 0, retried = 0, deadLettered = 0, expired = 0, redriven = 0;
        for (InboxStats inbox : inboxes) {
            InboxStats.Counters c = inbox.counters();
            sent += c.sent();
            deduplicated += c.deduplicated();
            acked += c.acked();
            retried += c.retried();
            deadLettered += c.deadLettered();
            expired += c.expired();
            redriven += c.redriven();
        }
        return new InboxStats.Counters(sent, deduplicated, acked, retried, deadLettered, expired, redriven);
    }

    /** A figure summed over every agent, such as {@code sum(InboxStats::pending)}. */
    public long sum(ToLongFunction<InboxStats> figure) {
        return inboxes.stream().mapToLong(figure).sum();
    }

    /** The ids of the live agents. */
    public Set<AgentId> liveIds() {
        return live.stream().map(AgentCard::id).collect(Collectors.toSet());
    }

    /**
     * The agents whose dead-lettered or expired counters are higher here than in {@code earlier}: counters, so a
     * purge of old dead letters does not hide new ones. An agent absent from {@code earlier} is compared with zero.
     */
    public Set<AgentId> deadLettersRoseSince(BusStatsSnapshot earlier) {
        Map<AgentId, InboxStats> before = new LinkedHashMap<>();
        earlier.inboxes().forEach(inbox -> before.put(inbox.agent(), inbox));
        return inboxes.stream()
                .filter(inbox -> before.containsKey(inbox.agent())
                        ? AgentStatus.deadLettersRose(before.get(inbox.agent()), inbox)
                        : inbox.counters().deadLettered() + inbox.counters().expired() > 0)
                .map(InboxStats::agent)
                .collect(Collectors.toSet());
    }

    /**
     * Each agent's {@link AgentStatus}, in the order of {@link #inboxes()}; {@code failing} are the agents whose
     * dead letters rose lately ({@link #deadLettersRoseSince}, over the window the caller chooses).
     */
    public Map<AgentId, AgentStatus> statuses(Set<AgentId> failing) {
        Set<AgentId> liveIds = liveIds();
        Map<AgentId, AgentStatus> statuses = new LinkedHashMap<>();
        for (InboxStats inbox : inboxes) {
            statuses.put(
                    inbox.agent(),
                    AgentStatus.of(inbox, liveIds.contains(inbox.agent()), failing.contains(inbox.agent())));
        }
        return statuses;
    }

    /**
     * The JSON of {@code /api/stats} and {@code agentbus stats --json}: {@code at}, {@code rate}, {@code totals},
     * {@code agents} (one object per known agent, sorted by id), {@code agent_errors} (the agents that could not be
     * read, with why), {@code live} (cards) and {@code swarms}. An agent's {@code length} is what its streams
     * retain (handled entries too); {@code unread} is its backlog; {@code status} comes from {@link #statuses}.
     */
    public ObjectNode toJson(MessageRate rate, Set<AgentId> failing) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("at", at.toString());
        ObjectNode rateJson = json.putObject("rate");
        rateJson.put("sent_per_second", rate.sentPerSecond());
        rateJson.put("acked_per_second", rate.ackedPerSecond());
        rateJson.put("window_ms", rate.window().toMillis());
        ObjectNode totals = json.putObject("totals");
        totals.put("agents", inboxes.size());
        totals.put("agents_with_errors", errors.size());
        totals.put("live_agents", live.size());
        totals.put("length", sum(InboxStats::length));
        totals.put("unread", sum(InboxStats::unread));
        totals.put("pending", sum(InboxStats::pending));
        totals.put("dead_letters", sum(InboxStats::deadLetters));
        totals.put("delayed", sum(InboxStats::delayed));
        putCounters(totals, totalCounters());
        Set<AgentId> liveIds = liveIds();
        Map<AgentId, AgentStatus> statuses = statuses(failing);
        ArrayNode agents = json.putArray("agents");
        for (InboxStats inbox : inboxes) {
            ObjectNode agent = agents.addObject();
            agent.put("agent", inbox.agent().value());
            agent.put("status", statuses.get(inbox.agent()).label());
            agent.put("live", liveIds.contains(inbox.agent()));
            agent.put("length", inbox.length());
            agent.put("unread", inbox.unread());
            putAge(agent, "oldest_unread_age_ms", inbox.oldestUnreadAge());
            agent.put("pending", inbox.pending());
            putAge(agent, "oldest_pending_age_ms", inbox.oldestPendingAge());
            agent.put("overdue", inbox.overdue());
            agent.put("dead_letters", inbox.deadLetters());
            agent.put("delayed", inbox.delayed());
            agent.put("consumers", inbox.consumers().size());
            agent.put(
                    "dead_consumers",
                    inbox.consumers().stream()
                            .filter(consumer -> !consumer.live())
                            .count());
            putCounters(agent.putObject("counters"), inbox.counters());
        }
        ArrayNode failed = json.putArray("agent_errors");
        errors.forEach((agent, error) -> {
            ObjectNode object = failed.addObject();
            object.put("agent", agent.value());
            object.put("error", error);
        });
        ArrayNode cards = json.putArray("live");
        for (AgentCard card : live) {
            ObjectNode object = cards.addObject();
            object.put("id", card.id().value());
            object.put("role", card.role());
            object.put("version", card.version());
            ArrayNode capabilities = object.putArray("capabilities");
            new TreeSet<>(card.capabilities()).forEach(capabilities::add);
        }
        ArrayNode swarmList = json.putArray("swarms");
        for (Swarms.Info swarm : swarms) {
            ObjectNode object = swarmList.addObject();
            object.put("swarm", swarm.swarm());
            object.put("coordinator", swarm.coordinator().orElse(null));
            object.put("interrupted", swarm.interrupted());
            object.put("version", swarm.state().map(Swarms.State::version).orElse(0L));
            object.put(
                    "last_checkpoint",
                    swarm.lastCheckpoint().map(Swarms.Checkpoint::label).orElse(null));
        }
        return json;
    }

    private static void putAge(ObjectNode json, String field, Optional<Duration> age) {
        age.ifPresentOrElse(known -> json.put(field, known.toMillis()), () -> json.putNull(field));
    }

    private static void putCounters(ObjectNode json, InboxStats.Counters counters) {
        json.put("sent", counters.sent());
        json.put("deduplicated", counters.deduplicated());
        json.put("acked", counters.acked());
        json.put("retried", counters.retried());
        json.put("dead_lettered", counters.deadLettered());
        json.put("expired", counters.expired());
        json.put("redriven", counters.redriven());
    }
}
