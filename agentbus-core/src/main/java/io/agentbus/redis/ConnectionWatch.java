package io.agentbus.redis;

import io.agentbus.BusListener;
import io.agentbus.ConnectionState;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.event.Event;
import io.lettuce.core.event.command.CommandFailedEvent;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectAttemptEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import io.lettuce.core.resource.ClientResources;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Follows the bus's connections through Lettuce's connection events: the state of the command
 * connection (which sends depend on) for {@link io.agentbus.AgentBus#connectionState()} and the
 * {@link BusListener}, the reconnects of reader connections, after which each reader recovers
 * its own pending entries, and of the pub/sub connection, after which every channel is subscribed again.
 *
 * <p>Behind Sentinel, Lettuce asks the sentinels for the master at every (re)connect, so a master that
 * dies is followed. A master that was demoted while its connections stayed up (a partition that healed)
 * answers writes with {@code READONLY}: on the first such reply every connection of the bus is closed
 * by the server ({@code CLIENT KILL} of itself), so that each reconnects through the sentinels to the
 * current master instead of retrying the same address.
 *
 * <p>On a cluster the command connection is a set of node connections that Lettuce opens and closes as
 * the topology changes, so its state is the nodes': the bus is disconnected while a master that holds
 * slots cannot be reached (a node is unreachable from a reconnect attempt to it until a connection to it
 * is active again), and connected again once each such node is back or its replica took its slots over.
 * When a node is reached again every reader walks its own pending entries, as after a reconnect on one
 * server: a read that ran on the node while its reply was lost left entries pending under the reader.
 */
final class ConnectionWatch implements RedisConnectionStateListener, CommandListener {

    private static final Logger log = LoggerFactory.getLogger(ConnectionWatch.class);
    /** At most one reconnect of everything per second, however many commands meet READONLY meanwhile. */
    private static final long MASTER_CHANGE_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final BusListener listener;
    private final BusMetrics metrics;
    private final AtomicLong reconnectAttempts = new AtomicLong();
    private final AtomicLong sendsInFlight = new AtomicLong();
    private final List<LaneReader> readers = new CopyOnWriteArrayList<>();
    /** Every connection that connected once and is not closed: what a master change reconnects. */
    private final Set<RedisChannelHandler<?, ?>> connections = ConcurrentHashMap.newKeySet();

    private final AtomicLong lastMasterChangeNanos = new AtomicLong(System.nanoTime() - MASTER_CHANGE_PAUSE_NANOS);
    private volatile Broadcasts broadcasts;
    private final Disposable connectionEvents;
    private volatile Object commandConnection;
    /** Nodes (host:port) a connection is trying to reach again; on a cluster only. */
    private final Set<String> unreachableNodes = ConcurrentHashMap.newKeySet();

    private volatile ConnectionState.Status status = ConnectionState.Status.CONNECTED;
    private volatile Instant since = Instant.now();

    ConnectionWatch(BusListener listener, ClientResources resources, BusMetrics metrics) {
        this.listener = listener;
        this.metrics = metrics;
        this.connectionEvents = resources
                .eventBus()
                .get()
                .filter(event -> event instanceof ReconnectAttemptEvent
                        || event instanceof ReconnectFailedEvent
                        || event instanceof ConnectionActivatedEvent
                        || event instanceof ClusterTopologyChangedEvent)
                .subscribe(this::connectionEvent);
        metrics.watchConnection(this::state);
    }

    void watchCommands(Object connection) {
        commandConnection = connection;
    }

    private void connectionEvent(Event event) {
        if (event instanceof ReconnectFailedEvent) {
            metrics.connectionError();
            return;
        }
        if (commandConnection instanceof StatefulRedisClusterConnection<?, ?> cluster) {
            clusterEvent(cluster, event);
        }
        if (event instanceof ReconnectAttemptEvent) {
            metrics.reconnectionAttempt();
            if (status == ConnectionState.Status.DISCONNECTED) {
                reconnectAttempts.incrementAndGet();
                publish();
            }
        }
    }

    /** On a cluster: follows which nodes are unreachable, and whether one of them is a master with slots. */
    private synchronized void clusterEvent(StatefulRedisClusterConnection<?, ?> cluster, Event event) {
        if (status == ConnectionState.Status.CLOSED) {
            return;
        }
        if (event instanceof ReconnectAttemptEvent attempt) {
            unreachableNodes.add(node(attempt.remoteAddress()));
        } else if (event instanceof ConnectionActivatedEvent activated
                && unreachableNodes.remove(node(activated.remoteAddress()))) {
            log.info("reached cluster node {} again", node(activated.remoteAddress()));
            readers.forEach(LaneReader::reconnected);
        }
        List<String> lostMasters = cluster.getPartitions().stream()
                .filter(node -> node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.hasNoSlots())
                .map(node -> node.getUri().getHost() + ":" + node.getUri().getPort())
                .filter(unreachableNodes::contains)
                .toList();
        if (!lostMasters.isEmpty() && status == ConnectionState.Status.CONNECTED) {
            log.warn(
                    "lost the connection to cluster master {}: commands for its slots fail until it is back or a"
                            + " replica takes them over (sends are tried again within the command timeout)",
                    String.join(", ", lostMasters));
            metrics.connectionError();
            change(ConnectionState.Status.DISCONNECTED);
        } else if (lostMasters.isEmpty() && status == ConnectionState.Status.DISCONNECTED) {
            log.info("every cluster master that holds slots is reachable again");
            change(ConnectionState.Status.CONNECTED);
        }
    }

    /** host:port as the topology names a node (the host as the connection was given it, not resolved). */
    private static String node(SocketAddress address) {
        return address instanceof InetSocketAddress inet
                ? inet.getHostString() + ":" + inet.getPort()
                : Objects.toString(address);
    }

    void watchReader(LaneReader reader) {
        readers.add(reader);
    }

    void watchBroadcasts(Broadcasts watched) {
        broadcasts = watched;
    }

    ConnectionState state() {
        return new ConnectionState(status, since, reconnectAttempts.get(), sendsInFlight.get());
    }

    /** Counts a send in, unless {@code bound} sends are already in flight. */
    boolean tryStartSend(long bound) {
        while (true) {
            long current = sendsInFlight.get();
            if (current >= bound) {
                return false;
            }
            if (sendsInFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void sendEnded() {
        sendsInFlight.decrementAndGet();
    }

    /** Sentinel only (registered as the client's command listener): a write reached a replica. */
    @Override
    public void commandFailed(CommandFailedEvent event) {
        if (RedisErrors.hasErrorCode(event.getCause(), "READONLY")) {
            masterChanged();
        }
    }

    private void masterChanged() {
        long last = lastMasterChangeNanos.get();
        long now = System.nanoTime();
        if (now - last < MASTER_CHANGE_PAUSE_NANOS || !lastMasterChangeNanos.compareAndSet(last, now)) {
            return;
        }
        connections.removeIf(connection -> !connection.isOpen());
        log.warn(
                "a command met READONLY: the server it reached is a replica now; reconnecting {} connections"
                        + " so that the sentinels name the current master",
                connections.size());
        for (RedisChannelHandler<?, ?> connection : connections) {
            if (connection instanceof StatefulRedisConnection<?, ?> stateful) {
                RedisAsyncCommands<?, ?> commands = stateful.async();
                commands.clientId()
                        .thenCompose(id ->
                                commands.clientKill(KillArgs.Builder.id(id).skipme(false)))
                        .exceptionally(failure -> null); // killed before its reply: what was wanted
            }
        }
    }

    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
        connections.add(connection);
        if (connection == commandConnection && status != ConnectionState.Status.CLOSED) {
            if (status == ConnectionState.Status.DISCONNECTED) {
                log.info("reconnected to {} after {} attempts", address, reconnectAttempts.get());
            }
            change(ConnectionState.Status.CONNECTED);
        }
        for (LaneReader reader : readers) {
            if (reader.owns(connection)) {
                reader.reconnected();
            }
        }
        Broadcasts watched = broadcasts;
        if (watched != null && watched.owns(connection)) {
            watched.resubscribe();
        }
    }

    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
        Broadcasts watched = broadcasts;
        if (watched != null
                && watched.owns(connection)
                && !watched.isClosing()
                && status != ConnectionState.Status.CLOSED) {
            // Redis closes a subscriber that falls behind its client-output-buffer-limit for pubsub.
            log.warn("lost the pub/sub connection (closed by the server, e.g. over its output buffer limit,"
                    + " or by the network): broadcasts published until it is back are missed; resubscribing");
            metrics.pubsubDisconnected();
        }
        if (connection == commandConnection && status == ConnectionState.Status.CONNECTED) {
            log.warn("lost the connection to Redis; reconnecting with backoff");
            metrics.connectionError();
            change(ConnectionState.Status.DISCONNECTED);
        }
    }

    void close() {
        change(ConnectionState.Status.CLOSED);
        connectionEvents.dispose();
    }

    private void change(ConnectionState.Status next) {
        status = next;
        since = Instant.now();
        reconnectAttempts.set(0);
        publish();
    }

    private void publish() {
        try {
            listener.connectionStateChanged(state());
        } catch (RuntimeException e) {
            log.warn("BusListener.connectionStateChanged threw; listeners must not throw", e);
        }
    }
}
