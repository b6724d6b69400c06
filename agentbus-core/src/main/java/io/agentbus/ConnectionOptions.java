package io.agentbus;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a bus connects to Redis and behaves while Redis is slow or away: timeouts, reconnect backoff,
 * what a send does while disconnected, and which servers it accepts. Immutable; part of
 * {@link BusOptions#connection()}. docs/OPERATIONS.md shows how each maps onto Lettuce's options.
 *
 * @param connectTimeout            how long connecting to Redis may take before
 *                                  {@link BusUnavailableException}; default {@link #DEFAULT_CONNECT_TIMEOUT}
 * @param connectWait               how long {@link AgentBus#connect} keeps trying while Redis is unreachable
 *                                  at start-up; default {@link #DEFAULT_CONNECT_WAIT}: fail at once (within
 *                                  {@code connectTimeout}) with a clear message
 * @param commandTimeout            how long one Redis command may take before {@link BusUnavailableException};
 *                                  default {@link #DEFAULT_COMMAND_TIMEOUT}
 * @param reconnectMinDelay         reconnect backoff: full jitter, the ceiling doubling from this; also the
 *                                  first pause of {@code connectWait}; default {@link #DEFAULT_RECONNECT_MIN_DELAY}
 * @param reconnectMaxDelay         cap of the reconnect backoff; default {@link #DEFAULT_RECONNECT_MAX_DELAY}
 * @param disconnectedSends         what a send does while Redis is unreachable; default
 *                                  {@link #DEFAULT_DISCONNECTED_SENDS}
 * @param requestQueueSize          sends that may wait for Redis at once (in flight, or buffered while
 *                                  disconnected) before a new one fails at once with
 *                                  {@link BusUnavailableException}: memory stays bounded while Redis is slow or
 *                                  away. Lettuce's request queue (unbounded by default) is bounded to twice
 *                                  this, so that acks find room. Default {@link #DEFAULT_REQUEST_QUEUE_SIZE}
 * @param allowEvictingMemoryPolicy run even on a server whose {@code maxmemory-policy} may evict keys without
 *                                  a TTL ({@code allkeys-*}): an eviction deletes whole inboxes. Default
 *                                  {@code false}: such a server is refused
 * @param tls                       how a {@code rediss://} server is trusted and which client certificate is shown;
 *                                  default {@link TlsOptions#defaults()} (the JVM's trust store, full verification)
 * @param passwordFile              a file whose first line is the Redis password, read again at every connect and
 *                                  reconnect, so that it need not be in the URI (nor in a command line) and a
 *                                  rotated password is picked up; it replaces the URI's password, the user stays
 *                                  the URI's ({@code redis://alice@host} names user {@code alice} here, not a
 *                                  password). Default: none, the URI's password
 */
public record ConnectionOptions(
        Duration connectTimeout,
        Duration connectWait,
        Duration commandTimeout,
        Duration reconnectMinDelay,
        Duration reconnectMaxDelay,
        DisconnectedSends disconnectedSends,
        int requestQueueSize,
        boolean allowEvictingMemoryPolicy,
        TlsOptions tls,
        Optional<Path> passwordFile) {

    /** How long connecting to Redis may take before {@link BusUnavailableException}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long start-up keeps trying while Redis is unreachable: not at all. */
    public static final Duration DEFAULT_CONNECT_WAIT = Duration.ZERO;
    /** How long one Redis command may take before {@link BusUnavailableException}. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** Lettuce reconnects with full jitter, the delay ceiling doubling from this... */
    public static final Duration DEFAULT_RECONNECT_MIN_DELAY = Duration.ofMillis(100);
    /** ...up to this. */
    public static final Duration DEFAULT_RECONNECT_MAX_DELAY = Duration.ofSeconds(10);
    /** A send while Redis is unreachable fails at once. */
    public static final DisconnectedSends DEFAULT_DISCONNECTED_SENDS = DisconnectedSends.FAIL_FAST;
    /** Sends that may wait for Redis at once before a new one fails at once. */
    public static final int DEFAULT_REQUEST_QUEUE_SIZE = 10_000;

    private static final ConnectionOptions DEFAULTS = new ConnectionOptions(
            DEFAULT_CONNECT_TIMEOUT,
            DEFAULT_CONNECT_WAIT,
            DEFAULT_COMMAND_TIMEOUT,
            DEFAULT_RECONNECT_MIN_DELAY,
            DEFAULT_RECONNECT_MAX_DELAY,
            DEFAULT_DISCONNECTED_SENDS,
            DEFAULT_REQUEST_QUEUE_SIZE,
            false,
            TlsOptions.defaults(),
            Optional.empty());

    /**
     * What a send does while Redis is unreachable. On a cluster, a send to slots whose master is
     * unreachable is tried again (the topology read again each time) until {@link #commandTimeout()}, as
     * a replica may take them over meanwhile; only then does it fail.
     */
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

    /** Validates every setting, naming the bad one; the builder does the same checks as each is set. */
    public ConnectionOptions {
        Require.positive("connectTimeout", connectTimeout);
        Require.nonNegative("connectWait", connectWait);
        Require.positive("commandTimeout", commandTimeout);
        Require.range("reconnectMinDelay", reconnectMinDelay, "reconnectMaxDelay", reconnectMaxDelay);
        Objects.requireNonNull(disconnectedSends, "disconnectedSends");
        Require.atLeast("requestQueueSize", requestQueueSize, 1);
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(passwordFile, "passwordFile");
    }

    /** Every setting at its {@code DEFAULT_*}. */
    public static ConnectionOptions defaults() {
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

    /** Builds {@link ConnectionOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private Duration connectTimeout;
        private Duration connectWait;
        private Duration commandTimeout;
        private Duration reconnectMinDelay;
        private Duration reconnectMaxDelay;
        private DisconnectedSends disconnectedSends;
        private int requestQueueSize;
        private boolean allowEvictingMemoryPolicy;
        private TlsOptions tls;
        private Optional<Path> passwordFile;

        private Builder(ConnectionOptions from) {
            connectTimeout = from.connectTimeout();
            connectWait = from.connectWait();
            commandTimeout = from.commandTimeout();
            reconnectMinDelay = from.reconnectMinDelay();
            reconnectMaxDelay = from.reconnectMaxDelay();
            disconnectedSends = from.disconnectedSends();
            requestQueueSize = from.requestQueueSize();
            allowEvictingMemoryPolicy = from.allowEvictingMemoryPolicy();
            tls = from.tls();
            passwordFile = from.passwordFile();
        }

        /** Positive. Default {@link ConnectionOptions#DEFAULT_CONNECT_TIMEOUT} (5 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Require.positive("connectTimeout", connectTimeout);
            return this;
        }

        /**
         * Keep trying, with the reconnect backoff, this long while Redis is unreachable at start-up;
         * zero or more. Default {@link ConnectionOptions#DEFAULT_CONNECT_WAIT} (zero: fail at once).
         */
        public Builder connectWait(Duration connectWait) {
            this.connectWait = Require.nonNegative("connectWait", connectWait);
            return this;
        }

        /** Positive. Default {@link ConnectionOptions#DEFAULT_COMMAND_TIMEOUT} (5 s). */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = Require.positive("commandTimeout", commandTimeout);
            return this;
        }

        /**
         * Reconnect backoff from {@code min} doubling to {@code max}, with full jitter; both positive,
         * {@code max >= min}. Default {@link ConnectionOptions#DEFAULT_RECONNECT_MIN_DELAY} (100 ms) to
         * {@link ConnectionOptions#DEFAULT_RECONNECT_MAX_DELAY} (10 s).
         */
        public Builder reconnectDelay(Duration min, Duration max) {
            Require.range("reconnectMinDelay", min, "reconnectMaxDelay", max);
            this.reconnectMinDelay = min;
            this.reconnectMaxDelay = max;
            return this;
        }

        /** Default {@link ConnectionOptions#DEFAULT_DISCONNECTED_SENDS} ({@code FAIL_FAST}). */
        public Builder disconnectedSends(DisconnectedSends disconnectedSends) {
            this.disconnectedSends = Objects.requireNonNull(disconnectedSends, "disconnectedSends");
            return this;
        }

        /** At least 1. Default {@value ConnectionOptions#DEFAULT_REQUEST_QUEUE_SIZE}. */
        public Builder requestQueueSize(int requestQueueSize) {
            this.requestQueueSize = Require.atLeast("requestQueueSize", requestQueueSize, 1);
            return this;
        }

        /** Accept a server that may evict keys without a TTL. Default {@code false}. */
        public Builder allowEvictingMemoryPolicy(boolean allowEvictingMemoryPolicy) {
            this.allowEvictingMemoryPolicy = allowEvictingMemoryPolicy;
            return this;
        }

        /** TLS settings of a {@code rediss://} server. Default {@link TlsOptions#defaults()}. */
        public Builder tls(TlsOptions tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Read the password from the first line of this file at every connect, instead of from the URI.
         * Default: none.
         */
        public Builder passwordFile(Path passwordFile) {
            this.passwordFile = Optional.of(Objects.requireNonNull(passwordFile, "passwordFile"));
            return this;
        }

        public ConnectionOptions build() {
            return new ConnectionOptions(
                    connectTimeout,
                    connectWait,
                    commandTimeout,
                    reconnectMinDelay,
                    reconnectMaxDelay,
                    disconnectedSends,
                    requestQueueSize,
                    allowEvictingMemoryPolicy,
                    tls,
                    passwordFile);
        }
    }
}
