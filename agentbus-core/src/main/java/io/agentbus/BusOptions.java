package io.agentbus;

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
                .delivery(delivery);
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

    @Override
    public String toString() {
        return "BusOptions{connectTimeout=" + connectTimeout + ", commandTimeout=" + commandTimeout
                + ", maxPayloadBytes=" + maxPayloadBytes + ", readBatchSize=" + readBatchSize
                + ", prefetch=" + prefetch + ", handlerThreads=" + handlerThreads
                + ", readBlock=" + readBlock + ", shutdownTimeout=" + shutdownTimeout
                + ", dedupWindow=" + dedupWindow + ", delivery=" + delivery + '}';
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

        private Builder() {
        }

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

        public BusOptions build() {
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
