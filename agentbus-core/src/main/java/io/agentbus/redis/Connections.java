package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import io.agentbus.BusUnavailableException;
import io.agentbus.ConnectionOptions;
import io.agentbus.Durability;
import io.agentbus.protocol.RedisVersion;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis connections of one bus and their lifecycle: the Lettuce client and its resources, the
 * options set on them, connecting with a wait, the server check, and the close order.
 *
 * <p>Connections: one command connection shared by every send, ack and script (never a blocking
 * command on it); for {@link Durability.Mode#WAIT} one more for sends, because WAIT blocks its
 * connection; one blocking-read connection per reader lane ({@link ReaderLanes}); one pub/sub
 * connection once the process listens to broadcasts ({@link Broadcasts}).
 */
final class Connections implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Connections.class);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final ConnectionWatch watch;
    private final BusMetrics metrics;
    private final RedisLink<String, String> commandConnection;
    private final RedisLink<String, String> sendConnection;
    private final RedisVersion serverVersion;
    private final String serverSoftware;
    private final List<String> serverWarnings;
    private final PermissionCheck permissions;
    private final String shownUri;
    private final AutoCloseable owned;

    private Connections(
            ClientResources resources,
            AbstractRedisClient client,
            ConnectionWatch watch,
            BusMetrics metrics,
            RedisLink<String, String> commandConnection,
            RedisLink<String, String> sendConnection,
            RedisVersion serverVersion,
            String serverSoftware,
            List<String> serverWarnings,
            PermissionCheck permissions,
            String shownUri,
            AutoCloseable owned) {
        this.resources = resources;
        this.client = client;
        this.watch = watch;
        this.metrics = metrics;
        this.commandConnection = commandConnection;
        this.sendConnection = sendConnection;
        this.serverVersion = serverVersion;
        this.serverSoftware = serverSoftware;
        this.serverWarnings = serverWarnings;
        this.permissions = permissions;
        this.shownUri = shownUri;
        this.owned = owned;
    }

    /**
     * Connects to {@code target} (waiting up to {@link BusOptions#connectWait()}), checks the server's
     * version and settings (on a cluster, of every master), and opens the command connections.
     * {@code owned} is closed last by {@link #close()}, for example the embedded Redis the bus was
     * started with.
     */
    static Connections open(BusUri target, BusOptions options, AutoCloseable owned) {
        boolean cluster = target.mode() == BusUri.Mode.CLUSTER;
        RedisURI uri = target.nodes().get(0);
        String shownUri = target.shown();
        TransportSecurity.apply(target, options.connection(), shownUri);
        for (RedisURI node : target.nodes()) {
            node.setTimeout(options.connection().commandTimeout());
            if (cluster) {
                node.setClientName("agentbus");
            }
        }
        ClientResources resources = DefaultClientResources.builder()
                .reconnectDelay(
                        options.connection()
                                        .reconnectMinDelay()
                                        .equals(options.connection().reconnectMaxDelay())
                                ? Delay.constant(options.connection().reconnectMinDelay())
                                : Delay.fullJitter(
                                        options.connection().reconnectMinDelay(),
                                        options.connection().reconnectMaxDelay(),
                                        options.connection().reconnectMinDelay().toMillis(),
                                        TimeUnit.MILLISECONDS))
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        // Lettuce flushes the socket after every command. With many sends in flight
                        // that is a write syscall per message on both ends; consolidating the
                        // flushes queued on the event loop writes them in one go, and costs nothing
                        // when a single command is in flight (it is flushed at once).
                        channel.pipeline()
                                .addFirst(new FlushConsolidationHandler(
                                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                    }
                })
                .build();
        AbstractRedisClient client;
        if (cluster) {
            RedisClusterClient clusterClient = RedisClusterClient.create(resources, target.nodes());
            clusterClient.setOptions(clusterClientOptions(options));
            client = clusterClient;
        } else {
            RedisClient redisClient = RedisClient.create(resources, uri);
            redisClient.setOptions(clientOptions(options));
            client = redisClient;
        }
        BusMetrics metrics = new BusMetrics(options.meterRegistry());
        ConnectionWatch watch = new ConnectionWatch(options.listener(), resources, metrics);
        client.addListener((RedisConnectionStateListener) watch);
        if (target.mode() == BusUri.Mode.SENTINEL) {
            client.addListener((CommandListener) watch); // READONLY: the master changed under a live connection
        }
        try {
            RedisLink<String, String> connection =
                    connectWithin(() -> connect(client, StringCodec.UTF8, "agentbus-commands"), options, uri, shownUri);
            watch.watchCommands(connection.connection());
            List<RedisClusterCommands<String, String>> masters = connection.masters();
            RedisVersion version = null;
            String software = null;
            List<String> warnings = new ArrayList<>();
            for (RedisClusterCommands<String, String> master : masters) {
                ServerIdentity identity = ServerIdentity.read(master);
                if (version == null || identity.version().compareTo(version) < 0) {
                    version = identity.version();
                    software = identity.software();
                }
                for (String warning : ServerCheck.verify(master, options, shownUri)) {
                    if (!warnings.contains(warning)) {
                        warnings.add(warning);
                    }
                }
            }
            PermissionCheck permissions = PermissionCheck.run(
                    connection.async(),
                    () -> openPubSub(client),
                    PermissionCheck.user(uri),
                    options.send().durability().mode() == Durability.Mode.WAIT,
                    options.connection().commandTimeout().toMillis());
            for (String warning : permissions.warnings()) {
                log.warn("{}", warning);
                warnings.add(warning);
            }
            if (permissions.refusal() != null) {
                throw permissions.refusal();
            }
            if (version.compareTo(RedisVersion.MINIMUM) < 0) {
                throw new AgentBusException("agentbus needs Redis " + RedisVersion.MINIMUM + " or newer; " + shownUri
                        + " runs " + software);
            }
            RedisLink<String, String> sendConnection = connection;
            if (options.send().durability().mode() == Durability.Mode.WAIT) {
                sendConnection = connect(client, StringCodec.UTF8, "agentbus-durable-sends");
            }
            log.info(
                    "connected to {} ({}{}{}, durability {})",
                    shownUri,
                    cluster ? masters.size() + " masters, " : "",
                    software,
                    software.startsWith("Redis ") ? "" : ", compatible with Redis " + version,
                    options.send().durability());
            return new Connections(
                    resources,
                    client,
                    watch,
                    metrics,
                    connection,
                    sendConnection,
                    version,
                    software,
                    List.copyOf(warnings),
                    permissions,
                    shownUri,
                    owned);
        } catch (RuntimeException e) {
            watch.close();
            metrics.close();
            client.shutdown();
            resources.shutdown();
            throw RedisErrors.map(
                    e,
                    "cannot connect to " + shownUri + " within "
                            + options.connection().connectTimeout());
        }
    }

    /**
     * A new connection of {@code client} named {@code name} (on a standalone server; on a cluster every
     * connection is named {@code agentbus} by the seeds' URIs, see the class comment).
     */
    private static <V> RedisLink<String, V> connect(
            AbstractRedisClient client, RedisCodec<String, V> codec, String name) {
        if (client instanceof RedisClusterClient cluster) {
            RedisLink<String, V> link = RedisLink.of(cluster.connect(codec), cluster);
            try {
                // Lettuce opens a node's connection on the first command for it, and with
                // REJECT_COMMANDS (FAIL_FAST) rejects that command while it connects: open them now.
                link.masters();
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
            return link;
        }
        RedisLink<String, V> link = RedisLink.of(((RedisClient) client).connect(codec));
        try {
            link.sync().clientSetname(name);
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
        return link;
    }

    /**
     * The options of {@link #clientOptions} for a cluster, plus the topology refresh: periodic (every
     * {@link #TOPOLOGY_REFRESH_PERIOD}) and adaptive (on {@code MOVED}, {@code ASK}, a failed reconnect
     * and the other triggers Lettuce knows), so that slot moves and failovers are followed; a
     * {@code MOVED} is followed by Lettuce at once in any case ({@code maxRedirects}).
     */
    private static ClusterClientOptions clusterClientOptions(BusOptions options) {
        ClientOptions base = clientOptions(options);
        return ClusterClientOptions.builder(base)
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(TOPOLOGY_REFRESH_PERIOD)
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(5))
                        .build())
                .build();
    }

    /** How often the cluster's topology is read again while nothing triggered a refresh. */
    static final Duration TOPOLOGY_REFRESH_PERIOD = Duration.ofSeconds(30);

    /**
     * Lettuce's options, each set on purpose (docs/OPERATIONS.md): a bounded request queue (its default
     * is unbounded; twice the send bound, so acks find room when sends fill theirs), a timeout on every
     * command including those queued while disconnected, TCP keep-alive with short probes so a dead
     * peer is noticed, a connect timeout, and either failing at once or buffering while disconnected.
     * Buffered commands are replayed after a reconnect; that is safe because a send is a dedup script
     * and an XACK is idempotent.
     */
    private static ClientOptions clientOptions(BusOptions options) {
        return ClientOptions.builder()
                .autoReconnect(true)
                // Sends are bounded by requestQueueSize themselves; the rest leaves acks and leases room.
                .requestQueueSize(2 * options.connection().requestQueueSize())
                .disconnectedBehavior(
                        options.connection().disconnectedSends() == ConnectionOptions.DisconnectedSends.FAIL_FAST
                                ? ClientOptions.DisconnectedBehavior.REJECT_COMMANDS
                                : ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                // Off, so that a TLS handshake or AUTH that fails on reconnect (a certificate or password
                // rotated on the server first) is retried with backoff until the new files are in place;
                // on, Lettuce would stop reconnecting for good (TransportSecurity).
                .suspendReconnectOnProtocolFailure(false)
                .sslOptions(TransportSecurity.sslOptions(options.connection().tls()))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(options.connection().connectTimeout())
                        .keepAlive(SocketOptions.KeepAliveOptions.builder()
                                .enable()
                                .idle(Duration.ofSeconds(5))
                                .interval(Duration.ofSeconds(1))
                                .count(3)
                                .build())
                        .build())
                .timeoutOptions(TimeoutOptions.builder()
                        .timeoutCommands(true)
                        .timeoutSource(new BusTimeouts(options))
                        .build())
                .build();
    }

    /**
     * Connects, or keeps trying with backoff until {@link BusOptions#connectWait()} has passed while the
     * server is unreachable; a failure that waiting cannot mend (credentials, TLS) ends it at once. Each
     * failure is thrown as the exception that names its cause ({@link ConnectErrors}).
     */
    private static <T> T connectWithin(Supplier<T> connect, BusOptions options, RedisURI node, String shownUri) {
        long deadline = System.nanoTime() + options.connection().connectWait().toNanos();
        long pauseMillis = options.connection().reconnectMinDelay().toMillis();
        while (true) {
            try {
                return connect.get();
            } catch (RuntimeException e) {
                AgentBusException named = ConnectErrors.map(e, node, options.connection(), shownUri);
                RuntimeException failure = named != null ? named : e;
                boolean mayMend = named == null || named instanceof BusUnavailableException;
                if (!mayMend || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) - deadline > 0) {
                    throw failure;
                }
                log.info(
                        "{} is not reachable yet ({}); trying again in {} ms",
                        shownUri,
                        failure.getMessage(),
                        pauseMillis);
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw failure;
                }
                pauseMillis = Math.min(
                        pauseMillis * 2,
                        options.connection().reconnectMaxDelay().toMillis());
            }
        }
    }

    ConnectionWatch watch() {
        return watch;
    }

    BusMetrics metrics() {
        return metrics;
    }

    /** Whether the bus runs on a cluster ({@code redis-cluster://}). */
    boolean isCluster() {
        return client instanceof RedisClusterClient;
    }

    /** The shared command connection: never a blocking command on it. */
    RedisLink<String, String> commandConnection() {
        return commandConnection;
    }

    RedisClusterAsyncCommands<String, String> commands() {
        return commandConnection.async();
    }

    /** The connection sends go on: the command connection, or for WAIT durability one of its own. */
    RedisLink<String, String> sendConnection() {
        return sendConnection;
    }

    /** A new connection named {@code name} (on a standalone server), for a reader lane. */
    <V> RedisLink<String, V> connect(RedisCodec<String, V> codec, String name) {
        return connect(client, codec, name);
    }

    /**
     * A new pub/sub connection named {@code agentbus-pubsub} (on a cluster, Lettuce's cluster pub/sub
     * connection: a classic {@code SUBSCRIBE} on one node hears a {@code PUBLISH} made on any node).
     */
    StatefulRedisPubSubConnection<String, String> connectPubSub() {
        return openPubSub(client);
    }

    private static StatefulRedisPubSubConnection<String, String> openPubSub(AbstractRedisClient client) {
        if (client instanceof RedisClusterClient cluster) {
            return cluster.connectPubSub(StringCodec.UTF8);
        }
        StatefulRedisPubSubConnection<String, String> opened = ((RedisClient) client).connectPubSub(StringCodec.UTF8);
        opened.sync().clientSetname("agentbus-pubsub");
        return opened;
    }

    RedisVersion serverVersion() {
        return serverVersion;
    }

    String serverSoftware() {
        return serverSoftware;
    }

    /** What the ACL user may not do, as the start-up check found it. */
    PermissionCheck permissions() {
        return permissions;
    }

    List<String> serverWarnings() {
        return serverWarnings;
    }

    /** The server's URI with any password masked: safe to print. */
    String shownUri() {
        return shownUri;
    }

    /** Closes the watch, the metrics, every connection, the client, its resources, then the owned resource. */
    @Override
    public void close() {
        watch.close();
        metrics.close();
        if (sendConnection != commandConnection) {
            sendConnection.close();
        }
        commandConnection.close();
        client.shutdown();
        resources.shutdown();
        try {
            owned.close();
        } catch (Exception e) {
            log.warn("could not close {}", owned, e);
        }
    }
}
