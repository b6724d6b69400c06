package io.agentbus;

import io.agentbus.swarm.SwarmOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one {@link AgentBus}: immutable, built with {@link #builder()}, derived with
 * {@link #mutate()}. Settings are grouped by concern, each group a record with its own builder and
 * {@code DEFAULT_*} constants, so that javadoc, README and {@code --help} print the same figure:
 * {@link ConnectionOptions} (timeouts, reconnects, sends while disconnected), {@link SendOptions}
 * (payload size, dedup, inbox cap, durability, fail-fast rules), {@link DeliveryOptions} (per
 * subscription: attempts, visibility timeout, backoff), {@link ConsumerOptions} (bus-wide reading,
 * handler threads, inbox retention, presence), {@link SwarmOptions} and {@link SigningOptions} (signed
 * envelopes, off by default). Observability settings are plain fields.
 *
 * <pre>{@code
 * BusOptions options = BusOptions.builder()
 *         .connection(ConnectionOptions.builder().commandTimeout(Duration.ofSeconds(2)).build())
 *         .delivery(DeliveryOptions.builder().maxAttempts(3).build())
 *         .build();
 * }</pre>
 *
 * <p>The flat accessors and setters of earlier versions ({@code options.commandTimeout()},
 * {@code builder.prefetch(n)}) still work, deprecated: each names its new place.
 *
 * @param connection    default {@link ConnectionOptions#defaults()}
 * @param send          default {@link SendOptions#defaults()}
 * @param delivery      delivery settings of subscriptions that bring none; default {@link DeliveryOptions#defaults()}
 * @param consumer      default {@link ConsumerOptions#defaults()}; its {@code inboxRetention} must keep fewer
 *                      entries than {@code send.maxInboxLength}
 * @param swarm         default {@link SwarmOptions#defaults()}
 * @param signing       signed envelopes; default {@link SigningOptions#defaults()} (off). Its {@code maxAge} may not
 *                      exceed {@code send.dedupWindow} while it requires signatures
 * @param auditCap      records each audit shard ({@code audit:messages:{agent}}) keeps (approximately: trimmed
 *                      with {@code MAXLEN ~}); {@code 0} turns the audit trail of sends and outcomes off. Default
 *                      {@link #DEFAULT_AUDIT_CAP}
 * @param listener      told of sends, deliveries, outcomes and connection changes; default {@link BusListener#NONE}
 * @param meterRegistry where the bus registers its meters (docs/OPERATIONS.md lists them). Default Micrometer's
 *                      {@link Metrics#globalRegistry}: a user who adds a registry there gets the bus's metrics
 *                      with no further setting, and until one does, every meter is a no-op
 */
public record BusOptions(
        ConnectionOptions connection,
        SendOptions send,
        DeliveryOptions delivery,
        ConsumerOptions consumer,
        SwarmOptions swarm,
        SigningOptions signing,
        long auditCap,
        BusListener listener,
        MeterRegistry meterRegistry) {

    /** Records each audit shard keeps (approximately: trimmed with MAXLEN ~). */
    public static final long DEFAULT_AUDIT_CAP = 100_000;

    private static final BusOptions DEFAULTS = new BusOptions(
            ConnectionOptions.defaults(),
            SendOptions.defaults(),
            DeliveryOptions.defaults(),
            ConsumerOptions.defaults(),
            SwarmOptions.defaults(),
            SigningOptions.defaults(),
            DEFAULT_AUDIT_CAP,
            BusListener.NONE,
            Metrics.globalRegistry);

    /** Validates the settings that span groups; each group validated its own. */
    public BusOptions {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(send, "send");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(swarm, "swarm");
        Objects.requireNonNull(signing, "signing");
        Require.atLeast("auditCap", auditCap, 0);
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        long kept = consumer.inboxRetention().maxLength();
        if (send.maxInboxLength() > 0 && kept >= send.maxInboxLength()) {
            throw new IllegalArgumentException("inboxRetention keeps " + kept
                    + " entries, which must be fewer than maxInboxLength " + send.maxInboxLength());
        }
        if (signing.requireSigned() && signing.maxAge().compareTo(send.dedupWindow()) > 0) {
            // a replay older than the dedup window is stored again by send.lua; only maxAge refuses it then
            throw new IllegalArgumentException(
                    "signing maxAge " + signing.maxAge() + " must not exceed the dedup window " + send.dedupWindow());
        }
    }

    /** Every setting at its default. */
    public static BusOptions defaults() {
        return DEFAULTS;
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder(this);
    }

    // The flat API of earlier versions, kept so that existing callers compile; each names its new place.

    /** @deprecated use {@link ConnectionOptions#DEFAULT_CONNECT_TIMEOUT} */
    @Deprecated
    public static final Duration DEFAULT_CONNECT_TIMEOUT = ConnectionOptions.DEFAULT_CONNECT_TIMEOUT;

    /** @deprecated use {@link ConnectionOptions#DEFAULT_COMMAND_TIMEOUT} */
    @Deprecated
    public static final Duration DEFAULT_COMMAND_TIMEOUT = ConnectionOptions.DEFAULT_COMMAND_TIMEOUT;

    /** @deprecated use {@link ConnectionOptions#DEFAULT_RECONNECT_MIN_DELAY} */
    @Deprecated
    public static final Duration DEFAULT_RECONNECT_MIN_DELAY = ConnectionOptions.DEFAULT_RECONNECT_MIN_DELAY;

    /** @deprecated use {@link ConnectionOptions#DEFAULT_RECONNECT_MAX_DELAY} */
    @Deprecated
    public static final Duration DEFAULT_RECONNECT_MAX_DELAY = ConnectionOptions.DEFAULT_RECONNECT_MAX_DELAY;

    /** @deprecated use {@link ConnectionOptions#DEFAULT_REQUEST_QUEUE_SIZE} */
    @Deprecated
    public static final int DEFAULT_REQUEST_QUEUE_SIZE = ConnectionOptions.DEFAULT_REQUEST_QUEUE_SIZE;

    /** @deprecated use {@link SendOptions#DEFAULT_MAX_PAYLOAD_BYTES} */
    @Deprecated
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = SendOptions.DEFAULT_MAX_PAYLOAD_BYTES;

    /** @deprecated use {@link SendOptions#DEFAULT_DEDUP_WINDOW} */
    @Deprecated
    public static final Duration DEFAULT_DEDUP_WINDOW = SendOptions.DEFAULT_DEDUP_WINDOW;

    /** @deprecated use {@link SendOptions#DEFAULT_MAX_INBOX_LENGTH} */
    @Deprecated
    public static final long DEFAULT_MAX_INBOX_LENGTH = SendOptions.DEFAULT_MAX_INBOX_LENGTH;

    /** @deprecated use {@link SendOptions#DEFAULT_BREAKER_THRESHOLD} */
    @Deprecated
    public static final int DEFAULT_BREAKER_THRESHOLD = SendOptions.DEFAULT_BREAKER_THRESHOLD;

    /** @deprecated use {@link SendOptions#DEFAULT_BREAKER_COOL_DOWN} */
    @Deprecated
    public static final Duration DEFAULT_BREAKER_COOL_DOWN = SendOptions.DEFAULT_BREAKER_COOL_DOWN;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_HANDLER_THREADS} */
    @Deprecated
    public static final int DEFAULT_HANDLER_THREADS = ConsumerOptions.DEFAULT_HANDLER_THREADS;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_PREFETCH} */
    @Deprecated
    public static final int DEFAULT_PREFETCH = ConsumerOptions.DEFAULT_PREFETCH;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_READ_BATCH_SIZE} */
    @Deprecated
    public static final int DEFAULT_READ_BATCH_SIZE = ConsumerOptions.DEFAULT_READ_BATCH_SIZE;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_READ_BLOCK} */
    @Deprecated
    public static final Duration DEFAULT_READ_BLOCK = ConsumerOptions.DEFAULT_READ_BLOCK;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_SHUTDOWN_TIMEOUT} */
    @Deprecated
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = ConsumerOptions.DEFAULT_SHUTDOWN_TIMEOUT;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_INBOX_RETENTION} */
    @Deprecated
    public static final Retention DEFAULT_INBOX_RETENTION = ConsumerOptions.DEFAULT_INBOX_RETENTION;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_PRESENCE_HEARTBEAT} */
    @Deprecated
    public static final Duration DEFAULT_PRESENCE_HEARTBEAT = ConsumerOptions.DEFAULT_PRESENCE_HEARTBEAT;

    /** @deprecated use {@link ConsumerOptions#DEFAULT_PRESENCE_TTL} */
    @Deprecated
    public static final Duration DEFAULT_PRESENCE_TTL = ConsumerOptions.DEFAULT_PRESENCE_TTL;

    /** @deprecated use {@link SwarmOptions#DEFAULT_EVENT_RATE} */
    @Deprecated
    public static final int DEFAULT_SWARM_EVENT_RATE = SwarmOptions.DEFAULT_EVENT_RATE;

    /** @deprecated use {@link SwarmOptions#DEFAULT_MESSAGE_HISTORY} */
    @Deprecated
    public static final int DEFAULT_SWARM_MESSAGE_HISTORY = SwarmOptions.DEFAULT_MESSAGE_HISTORY;

    /** @deprecated use {@link SwarmOptions#STATE_TTL} */
    @Deprecated
    public static final Duration DEFAULT_SWARM_STATE_TTL = SwarmOptions.STATE_TTL;

    /**
     * What a send does while Redis is unreachable.
     *
     * @deprecated use {@link ConnectionOptions.DisconnectedSends}
     */
    @Deprecated
    public enum DisconnectedSends {
        /** @deprecated use {@link ConnectionOptions.DisconnectedSends#FAIL_FAST} */
        @Deprecated
        FAIL_FAST,
        /** @deprecated use {@link ConnectionOptions.DisconnectedSends#BUFFER} */
        @Deprecated
        BUFFER
    }

    /** @deprecated use {@code options.connection().connectTimeout()} */
    @Deprecated
    public Duration connectTimeout() {
        return connection.connectTimeout();
    }

    /** @deprecated use {@code options.connection().connectWait()} */
    @Deprecated
    public Duration connectWait() {
        return connection.connectWait();
    }

    /** @deprecated use {@code options.connection().disconnectedSends()} */
    @Deprecated
    public DisconnectedSends disconnectedSends() {
        return DisconnectedSends.valueOf(connection.disconnectedSends().name());
    }

    /** @deprecated use {@code options.connection().commandTimeout()} */
    @Deprecated
    public Duration commandTimeout() {
        return connection.commandTimeout();
    }

    /** @deprecated use {@code options.connection().reconnectMinDelay()} */
    @Deprecated
    public Duration reconnectMinDelay() {
        return connection.reconnectMinDelay();
    }

    /** @deprecated use {@code options.connection().reconnectMaxDelay()} */
    @Deprecated
    public Duration reconnectMaxDelay() {
        return connection.reconnectMaxDelay();
    }

    /** @deprecated use {@code options.connection().requestQueueSize()} */
    @Deprecated
    public int requestQueueSize() {
        return connection.requestQueueSize();
    }

    /** @deprecated use {@code options.connection().allowEvictingMemoryPolicy()} */
    @Deprecated
    public boolean allowEvictingMemoryPolicy() {
        return connection.allowEvictingMemoryPolicy();
    }

    /** @deprecated use {@code options.send().maxPayloadBytes()} */
    @Deprecated
    public int maxPayloadBytes() {
        return send.maxPayloadBytes();
    }

    /** @deprecated use {@code options.send().dedupWindow()} */
    @Deprecated
    public Duration dedupWindow() {
        return send.dedupWindow();
    }

    /** @deprecated use {@code options.send().maxInboxLength()} */
    @Deprecated
    public long maxInboxLength() {
        return send.maxInboxLength();
    }

    /** @deprecated use {@code options.send().durability()} */
    @Deprecated
    public Durability durability() {
        return send.durability();
    }

    /** @deprecated use {@code options.send().strictDurability()} */
    @Deprecated
    public boolean strictDurability() {
        return send.strictDurability();
    }

    /** @deprecated use {@code options.send().requireLiveRecipient()} */
    @Deprecated
    public boolean requireLiveRecipient() {
        return send.requireLiveRecipient();
    }

    /** @deprecated use {@code options.send().breakerThreshold()} */
    @Deprecated
    public int breakerThreshold() {
        return send.breakerThreshold();
    }

    /** @deprecated use {@code options.send().breakerCoolDown()} */
    @Deprecated
    public Duration breakerCoolDown() {
        return send.breakerCoolDown();
    }

    /** @deprecated use {@code options.consumer().handlerThreads()} */
    @Deprecated
    public int handlerThreads() {
        return consumer.handlerThreads();
    }

    /** @deprecated use {@code options.consumer().prefetch()} */
    @Deprecated
    public int prefetch() {
        return consumer.prefetch();
    }

    /** @deprecated use {@code options.consumer().readBatchSize()} */
    @Deprecated
    public int readBatchSize() {
        return consumer.readBatchSize();
    }

    /** @deprecated use {@code options.consumer().readBlock()} */
    @Deprecated
    public Duration readBlock() {
        return consumer.readBlock();
    }

    /** @deprecated use {@code options.consumer().shutdownTimeout()} */
    @Deprecated
    public Duration shutdownTimeout() {
        return consumer.shutdownTimeout();
    }

    /** @deprecated use {@code options.consumer().inboxRetention()} */
    @Deprecated
    public Retention inboxRetention() {
        return consumer.inboxRetention();
    }

    /** @deprecated use {@code options.consumer().presenceHeartbeat()} */
    @Deprecated
    public Duration presenceHeartbeat() {
        return consumer.presenceHeartbeat();
    }

    /** @deprecated use {@code options.consumer().presenceTtl()} */
    @Deprecated
    public Duration presenceTtl() {
        return consumer.presenceTtl();
    }

    /** @deprecated use {@code options.swarm().eventRate()} */
    @Deprecated
    public int swarmEventRate() {
        return swarm.eventRate();
    }

    /** @deprecated use {@code options.swarm().messageHistory()} */
    @Deprecated
    public int swarmMessageHistory() {
        return swarm.messageHistory();
    }

    /**
     * Builds {@link BusOptions}: each group whole ({@link #connection(ConnectionOptions)}, ...), or, deprecated,
     * one setting at a time. A setter rejects a bad value at once, naming it.
     */
    public static final class Builder {
        private ConnectionOptions.Builder connection;
        private SendOptions.Builder send;
        private DeliveryOptions delivery;
        private ConsumerOptions.Builder consumer;
        private SwarmOptions.Builder swarm;
        private SigningOptions signing;
        private long auditCap;
        private BusListener listener;
        private MeterRegistry meterRegistry;

        private Builder(BusOptions from) {
            connection = from.connection().mutate();
            send = from.send().mutate();
            delivery = from.delivery();
            consumer = from.consumer().mutate();
            swarm = from.swarm().mutate();
            signing = from.signing();
            auditCap = from.auditCap();
            listener = from.listener();
            meterRegistry = from.meterRegistry();
        }

        /** Default {@link ConnectionOptions#defaults()}. */
        public Builder connection(ConnectionOptions connection) {
            this.connection = Objects.requireNonNull(connection, "connection").mutate();
            return this;
        }

        /** Default {@link SendOptions#defaults()}. */
        public Builder send(SendOptions send) {
            this.send = Objects.requireNonNull(send, "send").mutate();
            return this;
        }

        /** Delivery settings of subscriptions that bring none. Default {@link DeliveryOptions#defaults()}. */
        public Builder delivery(DeliveryOptions delivery) {
            this.delivery = Objects.requireNonNull(delivery, "delivery");
            return this;
        }

        /** Default {@link ConsumerOptions#defaults()}. */
        public Builder consumer(ConsumerOptions consumer) {
            this.consumer = Objects.requireNonNull(consumer, "consumer").mutate();
            return this;
        }

        /** Default {@link SwarmOptions#defaults()}. */
        public Builder swarm(SwarmOptions swarm) {
            this.swarm = Objects.requireNonNull(swarm, "swarm").mutate();
            return this;
        }

        /** Signed envelopes. Default {@link SigningOptions#defaults()}: off. */
        public Builder signing(SigningOptions signing) {
            this.signing = Objects.requireNonNull(signing, "signing");
            return this;
        }

        /** {@code 0} turns the audit trail of sends and outcomes off. Default {@value BusOptions#DEFAULT_AUDIT_CAP}. */
        public Builder auditCap(long auditCap) {
            this.auditCap = Require.atLeast("auditCap", auditCap, 0);
            return this;
        }

        /** Default {@link BusListener#NONE}. */
        public Builder listener(BusListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Default Micrometer's {@link Metrics#globalRegistry}. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * @throws IllegalArgumentException if the consumer's {@code inboxRetention} keeps as many entries
         *                                  as the send's {@code maxInboxLength} or more, or if signatures are
         *                                  required with a {@code maxAge} longer than the dedup window
         */
        public BusOptions build() {
            return new BusOptions(
                    connection.build(),
                    send.build(),
                    delivery,
                    consumer.build(),
                    swarm.build(),
                    signing,
                    auditCap,
                    listener,
                    meterRegistry);
        }

        /**
         * Default {@link ConnectionOptions#DEFAULT_CONNECT_TIMEOUT}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#connectTimeout(Duration)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder connectTimeout(Duration connectTimeout) {
            connection.connectTimeout(connectTimeout);
            return this;
        }

        /**
         * Default {@link ConnectionOptions#DEFAULT_CONNECT_WAIT} (zero).
         *
         * @deprecated set {@link ConnectionOptions.Builder#connectWait(Duration)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder connectWait(Duration connectWait) {
            connection.connectWait(connectWait);
            return this;
        }

        /**
         * Default {@link ConnectionOptions#DEFAULT_COMMAND_TIMEOUT}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#commandTimeout(Duration)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder commandTimeout(Duration commandTimeout) {
            connection.commandTimeout(commandTimeout);
            return this;
        }

        /**
         * Default {@link ConnectionOptions#DEFAULT_RECONNECT_MIN_DELAY} to
         * {@link ConnectionOptions#DEFAULT_RECONNECT_MAX_DELAY}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#reconnectDelay(Duration, Duration)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder reconnectDelay(Duration min, Duration max) {
            connection.reconnectDelay(min, max);
            return this;
        }

        /**
         * Default {@link ConnectionOptions#DEFAULT_DISCONNECTED_SENDS}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#disconnectedSends(ConnectionOptions.DisconnectedSends)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder disconnectedSends(DisconnectedSends disconnectedSends) {
            Objects.requireNonNull(disconnectedSends, "disconnectedSends");
            connection.disconnectedSends(ConnectionOptions.DisconnectedSends.valueOf(disconnectedSends.name()));
            return this;
        }

        /**
         * Default {@value ConnectionOptions#DEFAULT_REQUEST_QUEUE_SIZE}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#requestQueueSize(int)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder requestQueueSize(int requestQueueSize) {
            connection.requestQueueSize(requestQueueSize);
            return this;
        }

        /**
         * Default {@code false}.
         *
         * @deprecated set {@link ConnectionOptions.Builder#allowEvictingMemoryPolicy(boolean)}
         *     and pass it to {@link #connection(ConnectionOptions)}
         */
        @Deprecated
        public Builder allowEvictingMemoryPolicy(boolean allowEvictingMemoryPolicy) {
            connection.allowEvictingMemoryPolicy(allowEvictingMemoryPolicy);
            return this;
        }

        /**
         * Default {@value SendOptions#DEFAULT_MAX_PAYLOAD_BYTES}.
         *
         * @deprecated set {@link SendOptions.Builder#maxPayloadBytes(int)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            send.maxPayloadBytes(maxPayloadBytes);
            return this;
        }

        /**
         * Default {@link SendOptions#DEFAULT_DEDUP_WINDOW}.
         *
         * @deprecated set {@link SendOptions.Builder#dedupWindow(Duration)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder dedupWindow(Duration dedupWindow) {
            send.dedupWindow(dedupWindow);
            return this;
        }

        /**
         * Default {@value SendOptions#DEFAULT_MAX_INBOX_LENGTH}; {@code 0} for no cap.
         *
         * @deprecated set {@link SendOptions.Builder#maxInboxLength(long)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder maxInboxLength(long maxInboxLength) {
            send.maxInboxLength(maxInboxLength);
            return this;
        }

        /**
         * Default {@link SendOptions#DEFAULT_DURABILITY}.
         *
         * @deprecated set {@link SendOptions.Builder#durability(Durability)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder durability(Durability durability) {
            send.durability(durability);
            return this;
        }

        /**
         * Default {@code false}.
         *
         * @deprecated set {@link SendOptions.Builder#strictDurability(boolean)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder strictDurability(boolean strictDurability) {
            send.strictDurability(strictDurability);
            return this;
        }

        /**
         * Default {@code false}.
         *
         * @deprecated set {@link SendOptions.Builder#requireLiveRecipient(boolean)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder requireLiveRecipient(boolean requireLiveRecipient) {
            send.requireLiveRecipient(requireLiveRecipient);
            return this;
        }

        /**
         * Default {@value SendOptions#DEFAULT_BREAKER_THRESHOLD} and {@link SendOptions#DEFAULT_BREAKER_COOL_DOWN}.
         *
         * @deprecated set {@link SendOptions.Builder#breaker(int, Duration)}
         *     and pass it to {@link #send(SendOptions)}
         */
        @Deprecated
        public Builder breaker(int threshold, Duration coolDown) {
            send.breaker(threshold, coolDown);
            return this;
        }

        /**
         * Default {@value ConsumerOptions#DEFAULT_HANDLER_THREADS}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#handlerThreads(int)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder handlerThreads(int handlerThreads) {
            consumer.handlerThreads(handlerThreads);
            return this;
        }

        /**
         * Default {@value ConsumerOptions#DEFAULT_PREFETCH}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#prefetch(int)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder prefetch(int prefetch) {
            consumer.prefetch(prefetch);
            return this;
        }

        /**
         * Default {@value ConsumerOptions#DEFAULT_READ_BATCH_SIZE}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#readBatchSize(int)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder readBatchSize(int readBatchSize) {
            consumer.readBatchSize(readBatchSize);
            return this;
        }

        /**
         * Default {@link ConsumerOptions#DEFAULT_READ_BLOCK}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#readBlock(Duration)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder readBlock(Duration readBlock) {
            consumer.readBlock(readBlock);
            return this;
        }

        /**
         * Default {@link ConsumerOptions#DEFAULT_SHUTDOWN_TIMEOUT}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#shutdownTimeout(Duration)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            consumer.shutdownTimeout(shutdownTimeout);
            return this;
        }

        /**
         * Default {@link ConsumerOptions#DEFAULT_INBOX_RETENTION}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#inboxRetention(Retention)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder inboxRetention(Retention inboxRetention) {
            consumer.inboxRetention(inboxRetention);
            return this;
        }

        /**
         * Default {@link ConsumerOptions#DEFAULT_PRESENCE_HEARTBEAT} and {@link ConsumerOptions#DEFAULT_PRESENCE_TTL}.
         *
         * @deprecated set {@link ConsumerOptions.Builder#presence(Duration, Duration)}
         *     and pass it to {@link #consumer(ConsumerOptions)}
         */
        @Deprecated
        public Builder presence(Duration heartbeat, Duration ttl) {
            consumer.presence(heartbeat, ttl);
            return this;
        }

        /**
         * Default {@value SwarmOptions#DEFAULT_EVENT_RATE}.
         *
         * @deprecated set {@link SwarmOptions.Builder#eventRate(int)}
         *     and pass it to {@link #swarm(SwarmOptions)}
         */
        @Deprecated
        public Builder swarmEventRate(int eventsPerSecond) {
            swarm.eventRate(eventsPerSecond);
            return this;
        }

        /**
         * Default {@value SwarmOptions#DEFAULT_MESSAGE_HISTORY}.
         *
         * @deprecated set {@link SwarmOptions.Builder#messageHistory(int)}
         *     and pass it to {@link #swarm(SwarmOptions)}
         */
        @Deprecated
        public Builder swarmMessageHistory(int entries) {
            swarm.messageHistory(entries);
            return this;
        }
    }
}
