package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * How this process consumes: reading its inboxes, running handlers, trimming handled entries and
 * announcing its agents as live. Bus-wide, shared by every subscription of the bus; what differs per
 * subscription (attempts, visibility timeout, backoff) is {@link DeliveryOptions}. Immutable; part of
 * {@link BusOptions#consumer()}.
 *
 * @param handlerThreads    threads that run handlers, shared by every subscription of the bus. Default
 *                          {@link #DEFAULT_HANDLER_THREADS}
 * @param prefetch          messages one subscription may hold that were read from its inbox and not yet
 *                          handled; the reader stops asking for more until handlers catch up. Default
 *                          {@link #DEFAULT_PREFETCH}
 * @param readBatchSize     entries asked for per stream in one read. Default
 *                          {@link #DEFAULT_READ_BATCH_SIZE}
 * @param maxReadBytes      about how many bytes one read of a stream takes: a read stops after the entry that
 *                          crosses it. Default {@link #DEFAULT_MAX_READ_BYTES}
 * @param maxQueuedBytes    about how many bytes one subscription may hold read and not yet handled; the
 *                          reader stops asking for more above it, as it does at {@code prefetch}. With the
 *                          read budget, what bounds a consumer's memory when entries are large (an entry
 *                          larger than the payload limit plus its envelope is never read whole: it goes
 *                          to dead letters as {@code too_large}). Default {@link #DEFAULT_MAX_QUEUED_BYTES}
 * @param readBlock         how long one blocking read waits for new entries before it looks again. Default
 *                          {@link #DEFAULT_READ_BLOCK}
 * @param shutdownTimeout   how long {@link AgentBus#close()} waits for running handlers. Default
 *                          {@link #DEFAULT_SHUTDOWN_TIMEOUT}
 * @param inboxRetention    how many handled entries an inbox keeps: a subscription trims its inbox every
 *                          1,000 acks, never removing an entry that is unread or
 *                          pending, so Redis memory stays bounded however many messages pass. Default
 *                          {@link #DEFAULT_INBOX_RETENTION}
 * @param presenceHeartbeat how often a running instance renews its agent's presence. Default
 *                          {@link #DEFAULT_PRESENCE_HEARTBEAT}
 * @param presenceTtl       how long a heartbeat keeps an agent live; at least two heartbeats. Default
 *                          {@link #DEFAULT_PRESENCE_TTL}
 */
public record ConsumerOptions(
        int handlerThreads,
        int prefetch,
        int readBatchSize,
        int maxReadBytes,
        int maxQueuedBytes,
        Duration readBlock,
        Duration shutdownTimeout,
        Retention inboxRetention,
        Duration presenceHeartbeat,
        Duration presenceTtl) {

    /** Threads that run handlers, shared by every subscription of the bus. */
    public static final int DEFAULT_HANDLER_THREADS = 16;
    /** Messages one subscription may hold read but not yet handled. */
    public static final int DEFAULT_PREFETCH = 256;
    /** Entries asked for per stream in one read. */
    public static final int DEFAULT_READ_BATCH_SIZE = 100;
    /** About how many bytes one read of a stream takes: 8 MiB. */
    public static final int DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024;
    /** About how many bytes one subscription may hold read and not yet handled: 32 MiB. */
    public static final int DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
    /** How long one blocking read waits for new entries before it looks again. */
    public static final Duration DEFAULT_READ_BLOCK = Duration.ofSeconds(1);
    /** How long {@link AgentBus#close()} waits for running handlers. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /** Handled entries an inbox keeps (for inspection) before they are trimmed. */
    public static final Retention DEFAULT_INBOX_RETENTION = Retention.maxLength(10_000);
    /** How often a running instance renews its agent's presence. */
    public static final Duration DEFAULT_PRESENCE_HEARTBEAT = Duration.ofSeconds(5);
    /** How long a heartbeat keeps an agent live. */
    public static final Duration DEFAULT_PRESENCE_TTL = Duration.ofSeconds(15);

    private static final ConsumerOptions DEFAULTS = new ConsumerOptions(
            DEFAULT_HANDLER_THREADS,
            DEFAULT_PREFETCH,
            DEFAULT_READ_BATCH_SIZE,
            DEFAULT_MAX_READ_BYTES,
            DEFAULT_MAX_QUEUED_BYTES,
            DEFAULT_READ_BLOCK,
            DEFAULT_SHUTDOWN_TIMEOUT,
            DEFAULT_INBOX_RETENTION,
            DEFAULT_PRESENCE_HEARTBEAT,
            DEFAULT_PRESENCE_TTL);

    /** Validates every setting, naming the bad one; the builder does the same checks as each is set. */
    public ConsumerOptions {
        Require.atLeast("handlerThreads", handlerThreads, 1);
        Require.atLeast("prefetch", prefetch, 1);
        Require.atLeast("readBatchSize", readBatchSize, 1);
        Require.atLeast("maxReadBytes", maxReadBytes, 1);
        Require.atLeast("maxQueuedBytes", maxQueuedBytes, 1);
        Require.positive("readBlock", readBlock);
        Require.nonNegative("shutdownTimeout", shutdownTimeout);
        Objects.requireNonNull(inboxRetention, "inboxRetention");
        requireTwoHeartbeats(presenceHeartbeat, presenceTtl);
    }

    /** Every setting at its {@code DEFAULT_*}. */
    public static ConsumerOptions defaults() {
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

    private static void requireTwoHeartbeats(Duration heartbeat, Duration ttl) {
        Require.positive("presenceHeartbeat", heartbeat);
        Require.positive("presenceTtl", ttl);
        if (ttl.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException(
                    "presenceTtl " + ttl + " must be at least two heartbeats (" + heartbeat + ")");
        }
    }

    /** Builds {@link ConsumerOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private int handlerThreads;
        private int prefetch;
        private int readBatchSize;
        private int maxReadBytes;
        private int maxQueuedBytes;
        private Duration readBlock;
        private Duration shutdownTimeout;
        private Retention inboxRetention;
        private Duration presenceHeartbeat;
        private Duration presenceTtl;

        private Builder(ConsumerOptions from) {
            handlerThreads = from.handlerThreads();
            prefetch = from.prefetch();
            readBatchSize = from.readBatchSize();
            maxReadBytes = from.maxReadBytes();
            maxQueuedBytes = from.maxQueuedBytes();
            readBlock = from.readBlock();
            shutdownTimeout = from.shutdownTimeout();
            inboxRetention = from.inboxRetention();
            presenceHeartbeat = from.presenceHeartbeat();
            presenceTtl = from.presenceTtl();
        }

        /** At least 1. Default {@value ConsumerOptions#DEFAULT_HANDLER_THREADS}. */
        public Builder handlerThreads(int handlerThreads) {
            this.handlerThreads = Require.atLeast("handlerThreads", handlerThreads, 1);
            return this;
        }

        /** At least 1. Default {@value ConsumerOptions#DEFAULT_PREFETCH}. */
        public Builder prefetch(int prefetch) {
            this.prefetch = Require.atLeast("prefetch", prefetch, 1);
            return this;
        }

        /** At least 1. Default {@value ConsumerOptions#DEFAULT_READ_BATCH_SIZE}. */
        public Builder readBatchSize(int readBatchSize) {
            this.readBatchSize = Require.atLeast("readBatchSize", readBatchSize, 1);
            return this;
        }

        /** At least 1. Default {@value ConsumerOptions#DEFAULT_MAX_READ_BYTES} (8 MiB). */
        public Builder maxReadBytes(int maxReadBytes) {
            this.maxReadBytes = Require.atLeast("maxReadBytes", maxReadBytes, 1);
            return this;
        }

        /** At least 1. Default {@value ConsumerOptions#DEFAULT_MAX_QUEUED_BYTES} (32 MiB). */
        public Builder maxQueuedBytes(int maxQueuedBytes) {
            this.maxQueuedBytes = Require.atLeast("maxQueuedBytes", maxQueuedBytes, 1);
            return this;
        }

        /** Positive. Default {@link ConsumerOptions#DEFAULT_READ_BLOCK} (1 s). */
        public Builder readBlock(Duration readBlock) {
            this.readBlock = Require.positive("readBlock", readBlock);
            return this;
        }

        /** Zero or more. Default {@link ConsumerOptions#DEFAULT_SHUTDOWN_TIMEOUT} (10 s). */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = Require.nonNegative("shutdownTimeout", shutdownTimeout);
            return this;
        }

        /**
         * Fewer entries than {@link SendOptions#maxInboxLength()} (checked by {@link BusOptions}). Default
         * {@link ConsumerOptions#DEFAULT_INBOX_RETENTION} (the newest 10,000).
         */
        public Builder inboxRetention(Retention inboxRetention) {
            this.inboxRetention = Objects.requireNonNull(inboxRetention, "inboxRetention");
            return this;
        }

        /**
         * Heartbeat every {@code heartbeat}, each keeping the agent live for {@code ttl} (at least two
         * heartbeats). Default {@link ConsumerOptions#DEFAULT_PRESENCE_HEARTBEAT} (5 s) and
         * {@link ConsumerOptions#DEFAULT_PRESENCE_TTL} (15 s).
         */
        public Builder presence(Duration heartbeat, Duration ttl) {
            requireTwoHeartbeats(heartbeat, ttl);
            this.presenceHeartbeat = heartbeat;
            this.presenceTtl = ttl;
            return this;
        }

        public ConsumerOptions build() {
            return new ConsumerOptions(
                    handlerThreads,
                    prefetch,
                    readBatchSize,
                    maxReadBytes,
                    maxQueuedBytes,
                    readBlock,
                    shutdownTimeout,
                    inboxRetention,
                    presenceHeartbeat,
                    presenceTtl);
        }
    }
}
