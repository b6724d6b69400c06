package io.agentbus.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection of the bus, the same to the code above it whether it reaches a standalone server
 * (directly or through Sentinel) or a cluster. Lettuce types both kinds as {@link StatefulConnection}
 * and both command sets as {@link RedisClusterAsyncCommands} / {@link RedisClusterCommands}, but
 * declares {@code async()} and {@code sync()} on each kind apart; this record holds the three.
 *
 * <p>On a cluster, every keyed command (every script: their keys share the hash tag of one agent,
 * topic or swarm) is routed by Lettuce to the master of its slot. What is not keyed and must reach a
 * given node ({@code WAIT}, {@code INFO}, {@code CONFIG GET}) goes through {@link #onMasterOf} or
 * {@link #masters()}.
 */
record RedisLink<K, V>(
        StatefulConnection<K, V> connection, RedisClusterAsyncCommands<K, V> async, RedisClusterCommands<K, V> sync) {

    static <K, V> RedisLink<K, V> of(StatefulRedisConnection<K, V> connection) {
        return new RedisLink<>(connection, connection.async(), connection.sync());
    }

    static <K, V> RedisLink<K, V> of(StatefulRedisClusterConnection<K, V> connection) {
        return new RedisLink<>(connection, connection.async(), connection.sync());
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
