package io.agentbus;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one {@link AgentBus}: immutable, built with {@link #builder()}, derived with
 * {@link #mutate()}. Every default is a public {@code DEFAULT_*} constant so that javadoc, README and
 * {@code --help} print the same figure.
 */
public final class BusOptions {

    /** How long connecting to Redis may take before {@link BusUnavailableException}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long one Redis command may take before {@link BusUnavailableException}. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** Largest payload a send accepts, in UTF-8 bytes (1 MiB). */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
    /** Entries asked for per inbox in one XREADGROUP call. */
    public static final int DEFAULT_READ_BATCH_SIZE = 100;
    /** Messages one subscription may hold read but not yet handled. */
    public static final int DEFAULT_PREFETCH = 256;
    /** Threads that run handlers, shared by every subscription of the bus. */
    public static final int DEFAULT_HANDLER_THREADS = 16;
    /** How long one blocking read waits for new entries before it looks again. */
    public static final Duration DEFAULT_READ_BLOCK = Duration.ofSeconds(1);
    /** How long {@link AgentBus#close()} waits for running handlers. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    /** How long a message id is remembered per recipient so that a resend stores nothing new. */
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(10);

    /** Entries an inbox may hold before a send to it is refused with {@link InboxFullException}. */
    public static final long DEFAULT_MAX_INBOX_LENGTH = 1_000_000;
    /** Handled entries an inbox keeps (for inspection) before they are trimmed. */
    public static final Retention DEFAULT_INBOX_RETENTION = Retention.maxLength(10_000);
    /** Sends that may wait for Redis at once before a new one fails at once. */
    public static final int DEFAULT_REQUEST_QUEUE_SIZE = 10_000;
    /** Failed requests in a row to one agent that open its circuit. */
    public static final int DEFAULT_BREAKER_THRESHOLD = 5;
    /** How long an open circuit fails requests fast before it lets one probe through. */
    public static final Duration DEFAULT_BREAKER_COOL_DOWN = Duration.ofSeconds(10);
    /** Events per second one swarm's event bus publishes before priorities 1-7 are deferred. */
    public static final int DEFAULT_SWARM_EVENT_RATE = 1_000;
    /** Entries of one swarm-to-swarm pair's message stream that its senders keep (the swarm ADR's number). */
    public static final int DEFAULT_SWARM_MESSAGE_HISTORY = 100;
    /** How long a swarm's state lives without a write. */
    public static final Duration DEFAULT_SWARM_STATE_TTL = Duration.ofHours(1);
    /** How often a running instance renews its agent's presence. */
    public static final Duration DEFAULT_PRESENCE_HEARTBEAT = Duration.ofSeconds(5);
    /** How long a heartbeat keeps an agent live. */
    public static final Duration DEFAULT_PRESENCE_TTL = Duration.ofSeconds(15);
    /** Records each audit shard keeps (approximately: trimmed with MAXLEN ~). */
    public static final long DEFAULT_AUDIT_CAP = 100_000;
    /** Lettuce reconnects with full jitter, the delay ceiling doubling from this... */
    public static final Duration DEFAULT_RECONNECT_MIN_DELAY = Duration.ofMillis(100);
    /** ...up to this. */
    public static final Duration DEFAULT_RECONNECT_MAX_DELAY = Duration.ofSeconds(10);

    /** What a send does while Redis is unreachable. */
    public enum DisconnectedSends {
        /** Fail at once with {@link BusUnavailableException}: the caller decides (retry with the same id). */
        FAIL_FAST,
        /**
         * Buffer, bounded by {@link #requestQueueSize()}, and send after the reconnect; a send still
         * waiting after {@link #commandTimeout()} fails with {@link BusUnavailableException} (it may
         * still be stored after the reconnect; a resend with the same id stores nothing twice).
         */
        BUFFER
    }

    private static final BusOptions DEFAULTS = builder().build();

    private final Duration connectTimeout;
    private final Duration commandTimeout;
    private final int maxPayloadBytes;
    private final int readBatchSize;
    private final int prefetch;
    private final int handlerThreads;
    private final Duration readBlock;
    private final Duration shutdownTimeout;
    private final Duration dedupWindow;
    private final DeliveryOptions delivery;
    private final int requestQueueSize;
    private final DisconnectedSends disconnectedSends;
    private final Duration connectWait;
    private final Durability durability;
    private final boolean strictDurability;
    private final boolean allowEvictingMemoryPolicy;
    private final BusListener listener;
    private final MeterRegistry meterRegistry;
    private final Duration reconnectMinDelay;
    private final Duration reconnectMaxDelay;
    private final long maxInboxLength;
    private final Retention inboxRetention;
    private final long auditCap;
    private final Duration presenceHeartbeat;
    private final Duration presenceTtl;
    private final boolean requireLiveRecipient;
    private final int breakerThreshold;
    private final Duration breakerCoolDown;
    private final int swarmEventRate;
    private final int swarmMessageHistory;

    private BusOptions(Builder builder) {
        connectTimeout = builder.connectTimeout;
        commandTimeout = builder.commandTimeout;
        maxPayloadBytes = builder.maxPayloadBytes;
        readBatchSize = builder.readBatchSize;
        prefetch = builder.prefetch;
        handlerThreads = builder.handlerThreads;
        readBlock = builder.readBlock;
        shutdownTimeout = builder.shutdownTimeout;
        dedupWindow = builder.dedupWindow;
        delivery = builder.delivery;
        requestQueueSize = builder.requestQueueSize;
        disconnectedSends = builder.disconnectedSends;
        connectWait = builder.connectWait;
        durability = builder.durability;
        strictDurability = builder.strictDurability;
        allowEvictingMemoryPolicy = builder.allowEvictingMemoryPolicy;
        listener = builder.listener;
        meterRegistry = builder.meterRegistry;
        reconnectMinDelay = builder.reconnectMinDelay;
        reconnectMaxDelay = builder.reconnectMaxDelay;
        maxInboxLength = builder.maxInboxLength;
        inboxRetention = builder.inboxRetention;
        auditCap = builder.auditCap;
        presenceHeartbeat = builder.presenceHeartbeat;
        presenceTtl = builder.presenceTtl;
        requireLiveRecipient = builder.requireLiveRecipient;
        breakerThreshold = builder.breakerThreshold;
        breakerCoolDown = builder.breakerCoolDown;
        swarmEventRate = builder.swarmEventRate;
        swarmMessageHistory = builder.swarmMessageHistory;
    }

    public static BusOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder()
                .connectTimeout(connectTimeout)
                .commandTimeout(commandTimeout)
                .maxPayloadBytes(maxPayloadBytes)
                .readBatchSize(readBatchSize)
                .prefetch(prefetch)
                .handlerThreads(handlerThreads)
                .readBlock(readBlock)
                .shutdownTimeout(shutdownTimeout)
                .dedupWindow(dedupWindow)
                .delivery(delivery)
                .requestQueueSize(requestQueueSize)
                .disconnectedSends(disconnectedSends)
                .connectWait(connectWait)
                .durability(durability)
                .strictDurability(strictDurability)
                .allowEvictingMemoryPolicy(allowEvictingMemoryPolicy)
                .listener(listener)
                .meterRegistry(meterRegistry)
                .reconnectDelay(reconnectMinDelay, reconnectMaxDelay)
                .maxInboxLength(maxInboxLength)
                .inboxRetention(inboxRetention)
                .auditCap(auditCap)
                .presence(presenceHeartbeat, presenceTtl)
                .requireLiveRecipient(requireLiveRecipient)
                .breaker(breakerThreshold, breakerCoolDown)
                .swarmEventRate(swarmEventRate)
                .swarmMessageHistory(swarmMessageHistory);
    }

    /** Default {@link #DEFAULT_CONNECT_TIMEOUT}. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Default {@link #DEFAULT_COMMAND_TIMEOUT}. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** Default {@link #DEFAULT_MAX_PAYLOAD_BYTES}. */
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /** Default {@link #DEFAULT_READ_BATCH_SIZE}. */
    public int readBatchSize() {
        return readBatchSize;
    }

    /**
     * Messages one subscription may hold that were read from its inbox and not yet handled; the
     * reader stops asking for more until handlers catch up. Default {@link #DEFAULT_PREFETCH}.
     */
    public int prefetch() {
        return prefetch;
    }

    /** Default {@link #DEFAULT_HANDLER_THREADS}. */
    public int handlerThreads() {
        return handlerThreads;
    }

    /** Default {@link #DEFAULT_READ_BLOCK}. */
    public Duration readBlock() {
        return readBlock;
    }

    /** Default {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /**
     * A send whose message id was already sent to the same agent within this window stores nothing
     * and reports {@link SendReceipt#duplicate()}. After the window the id is forgotten and a resend
     * is stored again. Default {@link #DEFAULT_DEDUP_WINDOW}.
     */
    public Duration dedupWindow() {
        return dedupWindow;
    }

    /** Delivery settings of subscriptions that bring none. Default {@link DeliveryOptions#defaults()}. */
    public DeliveryOptions delivery() {
        return delivery;
    }

    /**
     * Sends that may wait for Redis at once (in flight, or buffered while disconnected) before a new
     * one fails at once with {@link BusUnavailableException}: memory stays bounded while Redis is slow
     * or away. Lettuce's request queue (unbounded by default) is bounded to twice this, so that acks
     * find room. Default {@link #DEFAULT_REQUEST_QUEUE_SIZE}.
     */
    public int requestQueueSize() {
        return requestQueueSize;
    }

    /**
     * Reconnect backoff: full jitter, the ceiling doubling from this. Also the first pause of
     * {@link #connectWait()}. Default {@link #DEFAULT_RECONNECT_MIN_DELAY}.
     */
    public Duration reconnectMinDelay() {
        return reconnectMinDelay;
    }

    /** Cap of the reconnect backoff. Default {@link #DEFAULT_RECONNECT_MAX_DELAY}. */
    public Duration reconnectMaxDelay() {
        return reconnectMaxDelay;
    }

    /** Default {@link DisconnectedSends#FAIL_FAST}. */
    public DisconnectedSends disconnectedSends() {
        return disconnectedSends;
    }

    /**
     * How long {@link AgentBus#connect} keeps trying while Redis is unreachable at start-up. Default
     * zero: fail at once (within {@link #connectTimeout()}) with a clear message.
     */
    public Duration connectWait() {
        return connectWait;
    }

    /** What "send returned" promises. Default {@link Durability#MEMORY}. */
    public Durability durability() {
        return durability;
    }

    /** Refuse to start, instead of warning, when the server cannot honour {@link #durability()}. Default false. */
    public boolean strictDurability() {
        return strictDurability;
    }

    /**
     * Run even on a server whose {@code maxmemory-policy} may evict keys without a TTL ({@code allkeys-*}):
     * an eviction deletes whole inboxes. Default false: such a server is refused.
     */
    public boolean allowEvictingMemoryPolicy() {
        return allowEvictingMemoryPolicy;
    }

    /**
     * Entries an inbox may hold; a send to a full inbox fails with {@link InboxFullException} and
     * stores nothing (checked atomically with the append). Never enforced by trimming, which could drop
     * pending work. {@code 0} for no cap. Default {@link #DEFAULT_MAX_INBOX_LENGTH}.
     */
    public long maxInboxLength() {
        return maxInboxLength;
    }

    /**
     * How many handled entries an inbox keeps: a subscription trims its inbox every
     * 1,000 acks, never removing an entry that is unread or pending, so Redis
     * memory stays bounded however many messages pass. Default {@link #DEFAULT_INBOX_RETENTION}.
     */
    public Retention inboxRetention() {
        return inboxRetention;
    }

    /**
     * Records each audit shard ({@code audit:messages:{agent}}) keeps; {@code 0} turns the audit
     * trail of sends and outcomes off. Default {@link #DEFAULT_AUDIT_CAP}.
     */
    public long auditCap() {
        return auditCap;
    }

    /** Default {@link #DEFAULT_PRESENCE_HEARTBEAT}. */
    public Duration presenceHeartbeat() {
        return presenceHeartbeat;
    }

    /** Default {@link #DEFAULT_PRESENCE_TTL}. */
    public Duration presenceTtl() {
        return presenceTtl;
    }

    /**
     * Fail a send or request to an agent without a live instance at once with
     * {@link RecipientUnavailableException} ({@code NO_LIVE_INSTANCE}) (one presence lookup per send), instead of queueing it in the
     * durable inbox. Default false.
     */
    public boolean requireLiveRecipient() {
        return requireLiveRecipient;
    }

    /** Default {@link #DEFAULT_BREAKER_THRESHOLD}; {@code 0} turns the circuit breaker off. */
    public int breakerThreshold() {
        return breakerThreshold;
    }

    /** Default {@link #DEFAULT_BREAKER_COOL_DOWN}. */
    public Duration breakerCoolDown() {
        return breakerCoolDown;
    }

    /** Default {@link #DEFAULT_SWARM_EVENT_RATE} events per second. */
    public int swarmEventRate() {
        return swarmEventRate;
    }

    /**
     * Default {@link #DEFAULT_SWARM_MESSAGE_HISTORY}: the newest entries of each {@code message:<from>:{<to>}}
     * stream kept for replay; entries the receiving swarm has not received or settled are kept beyond it.
     */
    public int swarmMessageHistory() {
        return swarmMessageHistory;
    }

    /** Default {@link BusListener#NONE}. */
    public BusListener listener() {
        return listener;
    }

    /**
     * Where the bus registers its meters (docs/OPERATIONS.md lists them). Default Micrometer's
     * {@link Metrics#globalRegistry}: a user who adds a registry there gets the bus's metrics with no
     * further setting, and until one does, every meter is a no-op.
     */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    @Override
    public String toString() {
        return "BusOptions{connectTimeout=" + connectTimeout + ", commandTimeout=" + commandTimeout
                + ", maxPayloadBytes=" + maxPayloadBytes + ", readBatchSize=" + readBatchSize
                + ", prefetch=" + prefetch + ", handlerThreads=" + handlerThreads
                + ", readBlock=" + readBlock + ", shutdownTimeout=" + shutdownTimeout
                + ", dedupWindow=" + dedupWindow + ", delivery=" + delivery
                + ", requestQueueSize=" + requestQueueSize + ", disconnectedSends=" + disconnectedSends
                + ", connectWait=" + connectWait + ", durability=" + durability
                + ", strictDurability=" + strictDurability + ", allowEvictingMemoryPolicy=" + allowEvictingMemoryPolicy
                + ", reconnectDelay=" + reconnectMinDelay + ".." + reconnectMaxDelay
                + ", maxInboxLength=" + maxInboxLength + ", inboxRetention=" + inboxRetention
                + ", auditCap=" + auditCap + ", presence=" + presenceHeartbeat + "/" + presenceTtl
                + ", requireLiveRecipient=" + requireLiveRecipient + ", breaker=" + breakerThreshold + "/"
                + breakerCoolDown
                + ", swarmEventRate=" + swarmEventRate + ", swarmMessageHistory=" + swarmMessageHistory + '}';
    }

    /** Builds {@link BusOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
        private int readBatchSize = DEFAULT_READ_BATCH_SIZE;
        private int prefetch = DEFAULT_PREFETCH;
        private int handlerThreads = DEFAULT_HANDLER_THREADS;
        private Duration readBlock = DEFAULT_READ_BLOCK;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Duration dedupWindow = DEFAULT_DEDUP_WINDOW;
        private DeliveryOptions delivery = DeliveryOptions.defaults();
        private int requestQueueSize = DEFAULT_REQUEST_QUEUE_SIZE;
        private DisconnectedSends disconnectedSends = DisconnectedSends.FAIL_FAST;
        private Duration connectWait = Duration.ZERO;
        private Durability durability = Durability.MEMORY;
        private boolean strictDurability;
        private boolean allowEvictingMemoryPolicy;
        private BusListener listener = BusListener.NONE;
        private MeterRegistry meterRegistry = Metrics.globalRegistry;
        private Duration reconnectMinDelay = DEFAULT_RECONNECT_MIN_DELAY;
        private Duration reconnectMaxDelay = DEFAULT_RECONNECT_MAX_DELAY;
        private long maxInboxLength = DEFAULT_MAX_INBOX_LENGTH;
        private Retention inboxRetention = DEFAULT_INBOX_RETENTION;
        private long auditCap = DEFAULT_AUDIT_CAP;
        private Duration presenceHeartbeat = DEFAULT_PRESENCE_HEARTBEAT;
        private Duration presenceTtl = DEFAULT_PRESENCE_TTL;
        private boolean requireLiveRecipient;
        private int breakerThreshold = DEFAULT_BREAKER_THRESHOLD;
        private Duration breakerCoolDown = DEFAULT_BREAKER_COOL_DOWN;
        private int swarmEventRate = DEFAULT_SWARM_EVENT_RATE;
        private int swarmMessageHistory = DEFAULT_SWARM_MESSAGE_HISTORY;

        private Builder() {}

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive("connectTimeout", connectTimeout);
            return this;
        }

        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = positive("commandTimeout", commandTimeout);
            return this;
        }

        public Builder maxPayloadBytes(int maxPayloadBytes) {
            // Redis's own limit on one bulk string is 512 MB; far below it, a bus message should be.
            this.maxPayloadBytes = atLeast("maxPayloadBytes", maxPayloadBytes, 2);
            return this;
        }

        public Builder readBatchSize(int readBatchSize) {
            this.readBatchSize = atLeast("readBatchSize", readBatchSize, 1);
            return this;
        }

        public Builder prefetch(int prefetch) {
            this.prefetch = atLeast("prefetch", prefetch, 1);
            return this;
        }

        public Builder handlerThreads(int handlerThreads) {
            this.handlerThreads = atLeast("handlerThreads", handlerThreads, 1);
            return this;
        }

        public Builder readBlock(Duration readBlock) {
            this.readBlock = positive("readBlock", readBlock);
            return this;
        }

        public Builder shutdownTimeout(Duration shutdownTimeout) {
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
            if (shutdownTimeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must be >= 0, was " + shutdownTimeout);
            }
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = positive("dedupWindow", dedupWindow);
            return this;
        }

        public Builder delivery(DeliveryOptions delivery) {
            this.delivery = Objects.requireNonNull(delivery, "delivery");
            return this;
        }

        public Builder requestQueueSize(int requestQueueSize) {
            this.requestQueueSize = atLeast("requestQueueSize", requestQueueSize, 1);
            return this;
        }

        public Builder disconnectedSends(DisconnectedSends disconnectedSends) {
            this.disconnectedSends = Objects.requireNonNull(disconnectedSends, "disconnectedSends");
            return this;
        }

        public Builder connectWait(Duration connectWait) {
            Objects.requireNonNull(connectWait, "connectWait");
            if (connectWait.isNegative()) {
                throw new IllegalArgumentException("connectWait must be >= 0, was " + connectWait);
            }
            this.connectWait = connectWait;
            return this;
        }

        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        public Builder strictDurability(boolean strictDurability) {
            this.strictDurability = strictDurability;
            return this;
        }

        public Builder allowEvictingMemoryPolicy(boolean allowEvictingMemoryPolicy) {
            this.allowEvictingMemoryPolicy = allowEvictingMemoryPolicy;
            return this;
        }

        public Builder reconnectDelay(Duration min, Duration max) {
            positive("reconnectMinDelay", min);
            positive("reconnectMaxDelay", max);
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("reconnectMaxDelay " + max + " must be >= reconnectMinDelay " + min);
            }
            this.reconnectMinDelay = min;
            this.reconnectMaxDelay = max;
            return this;
        }

        /** {@code 0} for no cap. */
        public Builder maxInboxLength(long maxInboxLength) {
            if (maxInboxLength < 0) {
                throw new IllegalArgumentException("maxInboxLength must be >= 0, was " + maxInboxLength);
            }
            this.maxInboxLength = maxInboxLength;
            return this;
        }

        public Builder inboxRetention(Retention inboxRetention) {
            this.inboxRetention = Objects.requireNonNull(inboxRetention, "inboxRetention");
            return this;
        }

        /** {@code 0} turns the audit trail of sends and outcomes off. */
        public Builder auditCap(long auditCap) {
            if (auditCap < 0) {
                throw new IllegalArgumentException("auditCap must be >= 0, was " + auditCap);
            }
            this.auditCap = auditCap;
            return this;
        }

        /** Heartbeat every {@code heartbeat}, each keeping the agent live for {@code ttl} (at least 2 heartbeats). */
        public Builder presence(Duration heartbeat, Duration ttl) {
            positive("presenceHeartbeat", heartbeat);
            positive("presenceTtl", ttl);
            if (ttl.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException(
                        "presenceTtl " + ttl + " must be at least two heartbeats (" + heartbeat + ")");
            }
            this.presenceHeartbeat = heartbeat;
            this.presenceTtl = ttl;
            return this;
        }

        public Builder requireLiveRecipient(boolean requireLiveRecipient) {
            this.requireLiveRecipient = requireLiveRecipient;
            return this;
        }

        /** Open a destination's circuit after {@code threshold} failed requests in a row; probe after {@code coolDown}. */
        public Builder breaker(int threshold, Duration coolDown) {
            if (threshold < 0) {
                throw new IllegalArgumentException("breaker threshold must be >= 0, was " + threshold);
            }
            this.breakerThreshold = threshold;
            this.breakerCoolDown = positive("breakerCoolDown", coolDown);
            return this;
        }

        public Builder swarmEventRate(int eventsPerSecond) {
            this.swarmEventRate = atLeast("swarmEventRate", eventsPerSecond, 1);
            return this;
        }

        public Builder swarmMessageHistory(int entries) {
            this.swarmMessageHistory = atLeast("swarmMessageHistory", entries, 1);
            return this;
        }

        public Builder listener(BusListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        public BusOptions build() {
            if (maxInboxLength > 0 && inboxRetention.maxLength() >= maxInboxLength) {
                throw new IllegalArgumentException("inboxRetention keeps " + inboxRetention.maxLength()
                        + " entries, which must be fewer than maxInboxLength " + maxInboxLength);
            }
            return new BusOptions(this);
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be > 0, was " + value);
            }
            return value;
        }

        private static int atLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
            }
            return value;
        }
    }
}
