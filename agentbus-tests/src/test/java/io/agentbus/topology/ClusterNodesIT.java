package io.agentbus.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The cluster fixture itself, seen through a plain Lettuce cluster client: routing, failover, resharding. */
@ExtendWith(RedisTopologyExtension.class)
class ClusterNodesIT {

    private static final Duration FAILOVER = Duration.ofSeconds(20);

    @Test
    void spreadsKeysOverThreeMastersAndLettuceRoutesThem(RedisClusterNodes cluster) {
        assertThat(cluster.uri()).startsWith("redis-cluster://127.0.0.1:");
        assertThat(cluster.nodes()).hasSize(6).allMatch(LocalRedis::isRunning);
        assertThat(cluster.masters()).hasSize(3);

        Set<LocalRedis> owners = new HashSet<>();
        inCluster(cluster, redis -> {
            for (int i = 0; i < 30; i++) {
                redis.set("spread-" + i, Integer.toString(i));
            }
            return null;
        });
        for (int i = 0; i < 30; i++) {
            LocalRedis owner = cluster.masterOf("spread-" + i);
            String key = "spread-" + i;
            String stored = run(owner, redis -> redis.get(key));
            assertThat(stored).isEqualTo(Integer.toString(i));
            owners.add(owner);
        }
        assertThat(owners).containsExactlyInAnyOrderElementsOf(cluster.masters());
        for (LocalRedis master : cluster.masters()) {
            assertThat(cluster.replicasOf(master)).hasSize(1);
        }
    }

    @Test
    void killedMasterIsReplacedByItsReplicaAndRejoinsAsAReplica(RedisClusterNodes cluster) {
        String key = "failover-key";
        LocalRedis master = cluster.masterOf(key);
        List<LocalRedis> replicas = cluster.replicasOf(master);
        Long acked = run(master, redis -> {
            redis.set(key, "kept");
            return redis.waitForReplication(1, 2000);
        });
        assertThat(acked).isEqualTo(1);

        long killedAt = System.nanoTime();
        cluster.killMaster(master);
        LocalRedis promoted = cluster.awaitFailover(master, FAILOVER);
        long failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;

        assertThat(replicas).containsExactly(promoted);
        assertThat(cluster.masterOf(key)).isSameAs(promoted);
        String kept = inCluster(cluster, redis -> redis.get(key));
        assertThat(kept).isEqualTo("kept");

        long restartedAt = System.nanoTime();
        cluster.restart(master);
        long rejoinMillis = (System.nanoTime() - restartedAt) / 1_000_000;

        assertThat(cluster.replicasOf(promoted)).containsExactly(master);
        assertThat(cluster.masters()).hasSize(3).doesNotContain(master);
        cluster.awaitClusterOk(Duration.ofSeconds(5));
        System.out.printf(
                "RESULT scenario=cluster-fixture version=%s failover_ms=%d rejoin_ms=%d%n",
                cluster.version(), failoverMillis, rejoinMillis);
    }

    @Test
    void migrateSlotMovesKeysWithTheirDataAndConsumerGroups(RedisClusterNodes cluster) {
        String value = "{moving}:value";
        String stream = "{moving}:stream";
        int slot = cluster.slotOf(value);
        LocalRedis from = cluster.masterOf(value);
        LocalRedis to = cluster.masters().stream()
                .filter(master -> master != from)
                .findFirst()
                .orElseThrow();
        inCluster(cluster, redis -> {
            redis.set(value, "intact");
            redis.xgroupCreate(
                    XReadArgs.StreamOffset.from(stream, "0"), "readers", XGroupCreateArgs.Builder.mkstream());
            redis.xadd(stream, Map.of("n", "1"));
            redis.xadd(stream, Map.of("n", "2"));
            // One entry delivered and not acknowledged: pending in the group.
            redis.xreadgroup(
                    Consumer.from("readers", "r1"),
                    XReadArgs.Builder.count(1),
                    XReadArgs.StreamOffset.lastConsumed(stream));
            return null;
        });

        int moved = cluster.migrateSlot(slot, from, to);

        assertThat(moved).isEqualTo(2);
        assertThat(cluster.masterOfSlot(slot)).isSameAs(to);
        String onTarget = run(to, redis -> redis.get(value));
        assertThat(onTarget).isEqualTo("intact");
        Long pending = run(to, redis -> redis.xpending(stream, "readers").getCount());
        assertThat(pending).isEqualTo(1);
        List<StreamMessage<String, String>> next = inCluster(
                cluster,
                redis -> redis.xreadgroup(Consumer.from("readers", "r2"), XReadArgs.StreamOffset.lastConsumed(stream)));
        assertThat(next).extracting(message -> message.getBody().get("n")).containsExactly("2");
        Long left = run(from, redis -> redis.clusterCountKeysInSlot(slot));
        assertThat(left).isZero();
    }

    /** Commands through a new Lettuce cluster client, which learns the topology as it is now. */
    static <T> T inCluster(
            RedisClusterNodes cluster, Function<RedisAdvancedClusterCommands<String, String>, T> commands) {
        RedisClusterClient client = RedisClusterClient.create(cluster.seedUris());
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            return commands.apply(connection.sync());
        } finally {
            client.shutdown();
        }
    }

    static <T> T run(LocalRedis node, Function<RedisCommands<String, String>, T> commands) {
        RedisClient client = RedisClient.create(node.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return commands.apply(connection.sync());
        } finally {
            client.shutdown();
        }
    }
}
