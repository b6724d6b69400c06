package io.agentbus.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One connection of the bus, the same to the code above it whether it reaches a standalone server
 * (directly or through Sentinel) or a cluster. Lettuce types both kinds as {@link StatefulConnection}
 * and both command sets as {@link RedisClusterAsyncCommands} / {@link RedisClusterCommands}, but
 * declares {@code async()} and {@code sync()} on each kind apart; this record holds the three.
 *
 * <p>On a cluster, every keyed command (every script: their keys share the hash tag of one agent,
 * topic or swarm) is routed by Lettuce to the master of its slot. What is not keyed and must reach a
 * given node ({@code WAIT}, {@code INFO}, {@code CONFIG GET}) goes through {@link #onMasterOf} or
 * {@link #masters()}. Lettuce follows {@code MOVED} and {@code ASK} only for commands routed through the
 * cluster connection, and learns a new topology only from those and from its reconnects: a command on a
 * node's own connection gets the redirection as its reply, and the view {@link #onMasterOf} reads stays
 * stale. {@link #refreshTopology()} and {@link #ownerMayHaveChanged} let such a caller re-resolve and retry.
 */
record RedisLink<K, V>(
        StatefulConnection<K, V> connection,
        RedisClusterAsyncCommands<K, V> async,
        RedisClusterCommands<K, V> sync,
        Supplier<CompletionStage<Void>> topologyRefresh) {

    private static final Supplier<CompletionStage<Void>> NO_TOPOLOGY = () -> CompletableFuture.completedFuture(null);

    static <K, V> RedisLink<K, V> of(StatefulRedisConnection<K, V> connection) {
        return new RedisLink<>(connection, connection.async(), connection.sync(), NO_TOPOLOGY);
    }

    static <K, V> RedisLink<K, V> of(StatefulRedisClusterConnection<K, V> connection, RedisClusterClient client) {
        return new RedisLink<>(connection, connection.async(), connection.sync(), new CoalescedRefresh(client));
    }

    /**
     * {@link RedisClusterClient#refreshPartitionsAsync()}, at most one at a time and at most one per
     * {@link #MIN_INTERVAL_NANOS}: each refresh opens a connection to every node, and during a failover every
     * send in flight asks for one (hundreds a second), which without this kept the event loop so busy that
     * sends stayed stuck for seconds after the promotion (ClusterFailoverIT).
     */
    private static final class CoalescedRefresh implements Supplier<CompletionStage<Void>> {
        private static final long MIN_INTERVAL_NANOS = 100_000_000L;

        private final RedisClusterClient client;
        private CompletableFuture<Void> current = CompletableFuture.completedFuture(null);
        private long endedNanos = System.nanoTime() - MIN_INTERVAL_NANOS;

        CoalescedRefresh(RedisClusterClient client) {
            this.client = client;
        }

        @Override
        public synchronized CompletionStage<Void> get() {
            if (!current.isDone() || System.nanoTime() - endedNanos < MIN_INTERVAL_NANOS) {
                return current;
            }
            CompletableFuture<Void> next = client.refreshPartitionsAsync().toCompletableFuture();
            current = next;
            next.whenComplete((done, failure) -> ended());
            return next;
        }

        private synchronized void ended() {
            endedNanos = System.nanoTime();
        }
    }

    /** Reads the cluster's topology again now (nothing on a standalone server); completes when it is read. */
    CompletionStage<Void> refreshTopology() {
        return topologyRefresh.get();
    }

    /**
     * Whether {@code failure} of a command on a cluster says that the slot's owner changed or is changing,
     * so that the command is worth sending again once the topology is read again: a redirection
     * ({@code MOVED}, {@code ASK}; Lettuce follows them on the cluster connection, not on a node's own,
     * {@link #onMasterOf}), a slot half migrated ({@code TRYAGAIN}), a cluster without an owner for a slot
     * yet ({@code CLUSTERDOWN}), or a node that is gone or not yet reached (its connection is down, so a
     * failover is likely; and the first command to a master just promoted is refused while Lettuce connects
     * to it). Not a timeout: the command may still be running.
     */
    static boolean ownerMayHaveChanged(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RedisCommandExecutionException && cause.getMessage() != null) {
                String message = cause.getMessage();
                if (message.startsWith("MOVED ")
                        || message.startsWith("ASK ")
                        || message.startsWith("TRYAGAIN")
                        || message.startsWith("CLUSTERDOWN")) {
                    return true;
                }
            }
            if (cause instanceof RedisConnectionException) {
                return true;
            }
            if (cause instanceof RedisException
                    && cause.getMessage() != null
                    && (cause.getMessage().startsWith("Currently not connected")
                            || cause.getMessage().startsWith("Connection closed")
                            || cause.getMessage().startsWith("Connection is closed"))) {
                return true;
            }
        }
        return false;
    }

    boolean isCluster() {
        return connection instanceof StatefulRedisClusterConnection<?, ?>;
    }

    /**
     * The commands of the master that serves {@code key}'s slot now: this link itself on a standalone
     * server, the cluster connection's own connection to that node on a cluster, for a command that
     * must run where the key was written ({@code WAIT}). The node's connection (the one Lettuce routes
     * that slot's keyed commands on) is opened on first use
     * (a connect on the caller's thread, once per node) and kept by Lettuce.
     */
    RedisClusterAsyncCommands<K, V> onMasterOf(String key) {
        if (!(connection instanceof StatefulRedisClusterConnection<K, V> cluster)) {
            return async;
        }
        RedisClusterNode master = cluster.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
        if (master == null) {
            return async; // topology unknown for the slot: Lettuce routes (and refreshes) as for any command
        }
        return cluster.getConnection(master.getUri().getHost(), master.getUri().getPort())
                .async();
    }

    /** One blocking view per master: this link on a standalone server, each master's connection on a cluster. */
    List<RedisClusterCommands<K, V>> masters() {
        if (!(connection instanceof StatefulRedisClusterConnection<K, V> cluster)) {
            return List.of(sync);
        }
        List<RedisClusterCommands<K, V>> masters = new ArrayList<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                // By address, as Lettuce keys the connections it routes keyed commands on: by node id
                // it would open a second connection to the same node.
                masters.add(cluster.getConnection(
                                node.getUri().getHost(), node.getUri().getPort())
                        .sync());
            }
        }
        return masters;
    }

    void close() {
        connection.close();
    }
}
