package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.ConnectionState;
import io.agentbus.Envelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The meters of one bus, under the seed ADR's names (docs/OPERATIONS.md lists them with their
 * Prometheus form: {@code messages.published} is exposed as {@code messages_published_total}).
 *
 * <p>Cost. Every per-message meter is looked up once per tag combination and kept in a map, so the
 * hot path does one map read and one increment; with the default registry (Micrometer's global
 * composite, empty unless the application adds a registry) the meters are no-ops.
 *
 * <p>Cardinality. Tags are {@code agent}, {@code message_type} and {@code channel}, never a message id.
 * Agents and channels are a system's own vocabulary; message types come from senders, so after
 * {@link #MAX_TAG_VALUES} distinct values of one tag the rest are counted under {@code other}.
 */
final class BusMetrics {

    static final int MAX_TAG_VALUES = 200;

    /**
     * The buckets of the latency and processing histograms: a few SLO thresholds (plus {@code +Inf}), enough for
     * {@code histogram_quantile} and alerts at each, rather than Micrometer's ~100 percentile buckets per agent.
     */
    static final Duration[] SLO_BUCKETS = {
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10)
    };

    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Map<String, Counter> channelCounters = new ConcurrentHashMap<>();
    private final PerAgentAndType published = new PerAgentAndType("messages.published", "Messages accepted by Redis");
    private final PerAgentAndType received = new PerAgentAndType("messages.received", "Messages handed to a handler");
    private final PerAgent<Counter> deduplicated = perAgentCounter(
            "messages.deduplicated", "Sends refused as a repeat of a message id within the dedup window");
    private final PerAgent<Counter> acked = perAgentCounter("messages.acked", "Deliveries acknowledged");
    private final PerAgent<Counter> retried =
            perAgentCounter("messages.retried", "Failed deliveries scheduled for another attempt");
    private final PerAgent<Counter> deadLettered =
            perAgentCounter("messages.dead.lettered", "Messages moved to dead letters (expired ones excepted)");
    private final PerAgent<Counter> expired =
            perAgentCounter("messages.expired", "Messages that expired before they were handled");
    private final PerAgent<Counter> badSignatures = perAgentCounter(
            "messages.bad.signatures",
            "Entries refused for want of a valid signature (SigningOptions.requireSigned) and moved to dead letters");
    private final PerAgent<Counter> groupRecreations = perAgentCounter(
            "consumer.group.recreations",
            "Consumer groups found gone (XGROUP DESTROY, a deleted key) and created again: a replay of what was retained");
    private final PerAgent<Counter> maintenanceFailures = perAgentCounter(
            "agent.maintenance.failures",
            "Reads and upkeep steps of the agent (reclaim, leases, heartbeat, delayed messages) that failed on its own"
                    + " keys or data and backed off alone, the other agents going on");
    private final PerAgent<Timer> latency = perAgentTimer(
            "message.latency", "Time from the message's timestamp (its send) to the start of its handler");
    private final PerAgent<Timer> processing = perAgentTimer("message.processing.duration", "Time a handler took");
    private final Map<String, AtomicLong> channelSubscribers = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> tagValues = new ConcurrentHashMap<>();
    /** Every meter this bus registered: removed on close, so a closed bus stops reporting. */
    private final List<Meter> registered = new CopyOnWriteArrayList<>();

    private final Counter connectionErrors;
    private final Counter reconnectionAttempts;
    private final Counter pubsubDisconnects;

    BusMetrics(MeterRegistry registry) {
        this.registry = registry;
        connectionErrors = registered(Counter.builder("redis.connection.errors")
                .description("Losses of the connection to Redis and failed reconnect attempts")
                .register(registry));
        reconnectionAttempts = registered(Counter.builder("redis.reconnection.attempts")
                .description("Attempts to reconnect to Redis")
                .register(registry));
        pubsubDisconnects = registered(Counter.builder("pubsub.disconnects")
                .description("Losses of the pub/sub connection: broadcasts published until it is back are missed")
                .register(registry));
    }

    // ---- connection ----

    /** Reports {@code redis.connected} from the connection's state until {@link #close()}. */
    void watchConnection(Supplier<ConnectionState> connection) {
        registered(Gauge.builder(
                        "redis.connected",
                        connection,
                        state -> state.get().status() == ConnectionState.Status.CONNECTED ? 1 : 0)
                .description("1 while the bus's command connection to Redis is up, else 0")
                .strongReference(true)
                .register(registry));
    }

    void connectionError() {
        connectionErrors.increment();
    }

    void reconnectionAttempt() {
        reconnectionAttempts.increment();
    }

    // ---- direct messages ----

    /** A message was stored in {@code to}'s inbox (or delayed set, or a topic named by {@code to}). */
    void published(AgentId to, Envelope message) {
        published.of(to, message.messageType()).increment();
    }

    void deduplicated(AgentId to) {
        deduplicated.of(to).increment();
    }

    /** A handler of {@code agent} is about to start on {@code message}: counts it and records its latency. */
    void received(AgentId agent, Envelope message) {
        received.of(agent, message.messageType()).increment();
        Duration latency = Duration.between(message.timestamp(), Instant.now());
        this.latency.of(agent).record(latency.isNegative() ? Duration.ZERO : latency);
    }

    void processed(AgentId agent, long nanos) {
        processing.of(agent).record(nanos, TimeUnit.NANOSECONDS);
    }

    void acked(AgentId agent, long count) {
        acked.of(agent).increment(count);
    }

    void retried(AgentId agent) {
        retried.of(agent).increment();
    }

    void groupRecreated(AgentId agent) {
        groupRecreations.of(agent).increment();
    }

    void maintenanceFailed(AgentId agent) {
        maintenanceFailures.of(agent).increment();
    }

    void deadLettered(AgentId agent) {
        deadLettered.of(agent).increment();
    }

    /** Moved to dead letters as {@code bad_signature} (also counted as dead-lettered). */
    void badSignature(AgentId agent) {
        badSignatures.of(agent).increment();
    }

    /** Expired before handling, whether moved to dead letters or dropped. */
    void expired(AgentId agent) {
        expired.of(agent).increment();
    }

    // ---- broadcast ----

    /**
     * A publish on {@code channel} reached {@code receivers} subscribers ({@code PUBLISH}'s reply: on a
     * cluster, those of the node that ran it only); {@code unheard}: nobody listened, a loss.
     */
    void broadcastPublished(String channel, long receivers, boolean unheard) {
        String tag = bounded("channel", channel);
        channelCounter("channel.messages", "Broadcast messages published or received per channel", tag, "published")
                .increment();
        channelSubscribers
                .computeIfAbsent(tag, key -> {
                    AtomicLong value = new AtomicLong();
                    registered(Gauge.builder("channel.subscribers", value, AtomicLong::get)
                            .description(
                                    "Subscribers that received the latest publish on the channel (PUBLISH's count)")
                            .tags("channel", key)
                            .strongReference(true)
                            .register(registry));
                    return value;
                })
                .set(receivers);
        if (unheard) {
            channelCounter("pubsub.unheard.publishes", "Publishes that no subscriber received", tag, null)
                    .increment();
        }
    }

    void broadcastReceived(String channel) {
        channelCounter(
                        "channel.messages",
                        "Broadcast messages published or received per channel",
                        bounded("channel", channel),
                        "received")
                .increment();
    }

    void pubsubDisconnected() {
        pubsubDisconnects.increment();
    }

    void sequenceGaps(String channel, long missed) {
        channelCounter(
                        "pubsub.sequence.gaps",
                        "Broadcast messages missed, by the publishers' sequence numbers",
                        bounded("channel", channel),
                        null)
                .increment(missed);
    }

    // ---- lookup ----

    private Counter channelCounter(String name, String description, String channel, String direction) {
        String key = name + '\0' + channel + '\0' + direction;
        return cached(channelCounters, key, ignored -> {
            Tags tags = Tags.of("channel", channel);
            if (direction != null) {
                tags = tags.and("direction", direction);
            }
            return registered(
                    Counter.builder(name).description(description).tags(tags).register(registry));
        });
    }

    /** Removes every meter of this bus from the registry. */
    void close() {
        registered.forEach(registry::remove);
        registered.clear();
    }

    private <M extends Meter> M registered(M meter) {
        registered.add(meter);
        return meter;
    }

    /** The value to tag with: {@code value}, or {@link #OTHER} once the tag has {@link #MAX_TAG_VALUES} others. */
    private String bounded(String tag, String value) {
        Set<String> seen = tagValues.computeIfAbsent(tag, key -> ConcurrentHashMap.newKeySet());
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= MAX_TAG_VALUES) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }

    private static <K, M> M cached(Map<K, M> meters, K key, Function<K, M> create) {
        M meter = meters.get(key);
        return meter != null ? meter : meters.computeIfAbsent(key, create);
    }

    /** One meter per agent, created on first use: a producer never holds the timers of the agents it sends to. */
    private final class PerAgent<M extends Meter> {
        private final Map<AgentId, M> meters = new ConcurrentHashMap<>();
        private final Function<AgentId, M> create;

        PerAgent(Function<AgentId, M> create) {
            this.create = agent -> registered(create.apply(agent));
        }

        M of(AgentId agent) {
            return cached(meters, agent, create);
        }
    }

    /** One counter per agent and message type (the type bounded, {@link #bounded}). */
    private final class PerAgentAndType {
        private final Map<AgentId, Map<String, Counter>> meters = new ConcurrentHashMap<>();
        private final String name;
        private final String description;

        PerAgentAndType(String name, String description) {
            this.name = name;
            this.description = description;
        }

        Counter of(AgentId agent, String messageType) {
            Map<String, Counter> byType = cached(meters, agent, ignored -> new ConcurrentHashMap<>());
            Counter counter = byType.get(messageType);
            if (counter != null) {
                return counter;
            }
            String type = bounded("message_type", messageType);
            return byType.computeIfAbsent(
                    messageType,
                    ignored -> registered(Counter.builder(name)
                            .description(description)
                            .tags("agent", agent.value(), "message_type", type)
                            .register(registry)));
        }
    }

    private PerAgent<Counter> perAgentCounter(String name, String description) {
        return new PerAgent<>(agent -> Counter.builder(name)
                .description(description)
                .tags("agent", agent.value())
                .register(registry));
    }

    private PerAgent<Timer> perAgentTimer(String name, String description) {
        return new PerAgent<>(agent -> Timer.builder(name)
                .description(description)
                .tags("agent", agent.value())
                .serviceLevelObjectives(SLO_BUCKETS)
                .register(registry));
    }
}
