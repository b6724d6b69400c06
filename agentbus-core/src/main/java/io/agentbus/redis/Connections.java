package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.Durability;
import io.agentbus.protocol.RedisVersion;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    private final RedisClient client;
    private final ConnectionWatch watch;
    private final BusMetrics metrics;
    private final StatefulRedisConnection<String, String> commandConnection;
    private final StatefulRedisConnection<String, String> sendConnection;
    private final RedisVersion serverVersion;
    private final String serverSoftware;
    private final List<String> serverWarnings;
    private final String shownUri;
    private final AutoCloseable owned;

    private Connections(
            ClientResources resources,
            RedisClient client,
            ConnectionWatch watch,
            BusMetrics metrics,
            StatefulRedisConnection<String, String> commandConnection,
            StatefulRedisConnection<String, String> sendConnection,
            RedisVersion serverVersion,
            String serverSoftware,
            List<String> serverWarnings,
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
        this.shownUri = shownUri;
        this.owned = owned;
    }

    /**
     * Connects to {@code uri} (waiting up to {@link BusOptions#connectWait()}), checks the server's
     * version and settings, and opens the command connections. {@code owned} is closed last by
     * {@link #close()}, for example the embedded Redis the bus was started with.
     */
    static Connections open(RedisURI uri, BusOptions options, AutoCloseable owned) {
        String shownUri = BusUri.masked(uri.toString());
        uri.setTimeout(options.connection().commandTimeout());
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
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(clientOptions(options));
        BusMetrics metrics = new BusMetrics(options.meterRegistry());
        ConnectionWatch watch = new ConnectionWatch(options.listener(), resources, metrics);
        client.addListener((RedisConnectionStateListener) watch);
        if (uri.getSentinels() != null && !uri.getSentinels().isEmpty()) {
            client.addListener((CommandListener) watch); // READONLY: the master changed under a live connection
        }
        try {
            StatefulRedisConnection<String, String> connection = connectWithin(client, options, shownUri);
            watch.watchCommands(connection);
            String serverInfo = connection.sync().info("server");
            RedisVersion version = RedisVersion.parse(infoField(serverInfo, "redis_version"));
            String software = software(serverInfo, version);
            if (version.compareTo(RedisVersion.MINIMUM) < 0) {
                throw new AgentBusException("agentbus needs Redis " + RedisVersion.MINIMUM + " or newer; " + shownUri
                        + " runs " + software);
            }
            List<String> warnings = ServerCheck.verify(connection.sync(), options, shownUri);
            connection.sync().clientSetname("agentbus-commands");
            StatefulRedisConnection<String, String> sendConnection = connection;
            if (options.send().durability().mode() == Durability.Mode.WAIT) {
                sendConnection = client.connect(StringCodec.UTF8);
                sendConnection.sync().clientSetname("agentbus-durable-sends");
            }
            log.info(
                    "connected to {} ({}{}, durability {})",
                    shownUri,
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
                    warnings,
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
                .suspendReconnectOnProtocolFailure(false)
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

    /** Connects, or keeps trying with backoff until {@link BusOptions#connectWait()} has passed. */
    private static StatefulRedisConnection<String, String> connectWithin(
            RedisClient client, BusOptions options, String shownUri) {
        long deadline = System.nanoTime() + options.connection().connectWait().toNanos();
        long pauseMillis = options.connection().reconnectMinDelay().toMillis();
        while (true) {
            try {
                return client.connect(StringCodec.UTF8);
            } catch (RuntimeException e) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) - deadline > 0) {
                    throw e;
                }
                log.info("{} is not reachable yet ({}); trying again in {} ms", shownUri, e.getMessage(), pauseMillis);
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pauseMillis = Math.min(
                        pauseMillis * 2,
                        options.connection().reconnectMaxDelay().toMillis());
            }
        }
    }

    /**
     * The server as it names itself: Valkey reports {@code server_name:valkey} and {@code valkey_version}
     * beside a {@code redis_version} that is the Redis version it is compatible with.
     */
    private static String software(String serverInfo, RedisVersion redisVersion) {
        if (serverInfo.contains("\nserver_name:valkey") || serverInfo.startsWith("server_name:valkey")) {
            return "Valkey " + infoField(serverInfo, "valkey_version");
        }
        return "Redis " + redisVersion;
    }

    private static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new AgentBusException("INFO server has no " + name);
    }

    RedisClient client() {
        return client;
    }

    ConnectionWatch watch() {
        return watch;
    }

    BusMetrics metrics() {
        return metrics;
    }

    /** The shared command connection: never a blocking command on it. */
    StatefulRedisConnection<String, String> commandConnection() {
        return commandConnection;
    }

    RedisAsyncCommands<String, String> commands() {
        return commandConnection.async();
    }

    /** The connection sends go on: the command connection, or for WAIT durability one of its own. */
    StatefulRedisConnection<String, String> sendConnection() {
        return sendConnection;
    }

    RedisVersion serverVersion() {
        return serverVersion;
    }

    String serverSoftware() {
        return serverSoftware;
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
