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
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> channelSubscribers = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> tagValues = new ConcurrentHashMap<>();
    /** Every meter this bus registered: removed on close, so a closed bus stops reporting. */
    private final List<Meter> registered = new CopyOnWriteArrayList<>();
    private final Counter connectionErrors;
    private final Counter reconnectionAttempts;

    BusMetrics(MeterRegistry registry) {
        this.registry = registry;
        connectionErrors = registered(Counter.builder("redis.connection.errors")
                .description("Losses of the connection to Redis and failed reconnect attempts")
                .register(registry));
        reconnectionAttempts = registered(Counter.builder("redis.reconnection.attempts")
                .description("Attempts to reconnect to Redis")
                .register(registry));
    }

    // ---- connection ----

    /** Reports {@code redis.connected} from the connection's state until {@link #close()}. */
    void watchConnection(Supplier<ConnectionState> connection) {
        registered(Gauge.builder("redis.connected", connection,
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
        counter("messages.published", "Messages accepted by Redis", to, message.messageType()).increment();
    }

    void deduplicated(AgentId to) {
        counter("messages.deduplicated", "Sends refused as a repeat of a message id within the dedup window", to, null)
                .increment();
    }

    /** A handler of {@code agent} is about to start on {@code message}: counts it and records its latency. */
    void received(AgentId agent, Envelope message) {
        counter("messages.received", "Messages handed to a handler", agent, message.messageType()).increment();
        Duration latency = Duration.between(message.timestamp(), Instant.now());
        timer("message.latency", "Time from the message's timestamp (its send) to the start of its handler", agent)
                .record(latency.isNegative() ? Duration.ZERO : latency);
    }

    void processed(AgentId agent, long nanos) {
        timer("message.processing.duration", "Time a handler took", agent).record(nanos, TimeUnit.NANOSECONDS);
    }

    void acked(AgentId agent, long count) {
        counter("messages.acked", "Deliveries acknowledged", agent, null).increment(count);
    }

    void retried(AgentId agent) {
        counter("messages.retried", "Failed deliveries scheduled for another attempt", agent, null).increment();
    }

    void deadLettered(AgentId agent) {
        counter("messages.dead.lettered", "Messages moved to dead letters (expired ones excepted)", agent, null)
                .increment();
    }

    /** Expired before handling, whether moved to dead letters or dropped. */
    void expired(AgentId agent) {
        counter("messages.expired", "Messages that expired before they were handled", agent, null).increment();
    }

    // ---- broadcast ----

    /** A publish on {@code channel} reached {@code receivers} subscribers (0: nobody listened, a loss). */
    void broadcastPublished(String channel, long receivers) {
        String tag = bounded("channel", channel);
        channelCounter("channel.messages", "Broadcast messages published or received per channel", tag, "published")
                .increment();
        channelSubscribers.computeIfAbsent(tag, key -> {
            AtomicLong value = new AtomicLong();
            registered(Gauge.builder("channel.subscribers", value, AtomicLong::get)
                    .description("Subscribers that received the latest publish on the channel (PUBLISH's count)")
                    .tags("channel", key)
                    .strongReference(true)
                    .register(registry));
            return value;
        }).set(receivers);
        if (receivers == 0) {
            channelCounter("pubsub.unheard.publishes", "Publishes that no subscriber received", tag, null).increment();
        }
    }

    void broadcastReceived(String channel) {
        channelCounter("channel.messages", "Broadcast messages published or received per channel",
                bounded("channel", channel), "received").increment();
    }

    void sequenceGaps(String channel, long missed) {
        channelCounter("pubsub.sequence.gaps", "Broadcast messages missed, by the publishers' sequence numbers",
                bounded("channel", channel), null).increment(missed);
    }

    // ---- lookup ----

    private Counter counter(String name, String description, AgentId agent, String messageType) {
        String type = messageType == null ? null : bounded("message_type", messageType);
        String key = name + '\0' + agent.value() + '\0' + type;
        return cached(counters, key, ignored -> {
            Tags tags = Tags.of("agent", agent.value());
            if (type != null) {
                tags = tags.and("message_type", type);
            }
            return registered(Counter.builder(name).description(description).tags(tags).register(registry));
        });
    }

    private Counter channelCounter(String name, String description, String channel, String direction) {
        String key = name + '\0' + channel + '\0' + direction;
        return cached(counters, key, ignored -> {
            Tags tags = Tags.of("channel", channel);
            if (direction != null) {
                tags = tags.and("direction", direction);
            }
            return registered(Counter.builder(name).description(description).tags(tags).register(registry));
        });
    }

    private Timer timer(String name, String description, AgentId agent) {
        return cached(timers, name + '\0' + agent.value(), ignored -> registered(Timer.builder(name)
                .description(description)
                .tags("agent", agent.value())
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)));
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

    private static <M> M cached(Map<String, M> meters, String key, Function<String, M> create) {
        M meter = meters.get(key);
        return meter != null ? meter : meters.computeIfAbsent(key, create);
    }
}
