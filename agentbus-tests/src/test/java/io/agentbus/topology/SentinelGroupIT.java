package io.agentbus.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisSentinelGroup;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Sentinel fixture itself, seen through a plain Lettuce client: replication, promotion, demotion. */
@ExtendWith(RedisTopologyExtension.class)
class SentinelGroupIT {

    private static final Duration PROMOTION = Duration.ofSeconds(20);

    @Test
    void startsSteadyAndLettuceFindsTheMasterThroughTheSentinels(RedisSentinelGroup group) {
        assertThat(group.uri()).startsWith("redis-sentinel://127.0.0.1:").endsWith("#" + group.masterName());
        assertThat(group.sentinels()).hasSize(3).allMatch(LocalRedis::isRunning);
        LocalRedis master = group.master();
        assertThat(group.replicas()).hasSize(2).doesNotContain(master);
        assertThat(role(master)).isEqualTo("master");

        RedisClient client = RedisClient.create(group.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().set("through-sentinel", "yes");
        } finally {
            client.shutdown();
        }

        group.awaitReplicasInSync(Duration.ofSeconds(5));
        for (LocalRedis replica : group.replicas()) {
            assertThat(role(replica)).isEqualTo("slave");
            String copied = run(replica, redis -> redis.get("through-sentinel"));
            assertThat(copied).isEqualTo("yes");
        }
    }

    @Test
    void killedMasterIsReplacedByAReplicaWithItsDataAndComesBackAsAReplica(RedisSentinelGroup group) {
        LocalRedis master = group.master();
        run(master, redis -> redis.set("before-failover", "kept"));
        group.awaitReplicasInSync(Duration.ofSeconds(5));

        long killedAt = System.nanoTime();
        LocalRedis killed = group.killMaster();
        LocalRedis promoted = group.awaitPromotion(PROMOTION);
        long promotionMillis = (System.nanoTime() - killedAt) / 1_000_000;

        assertThat(killed).isSameAs(master);
        assertThat(killed.isRunning()).isFalse();
        assertThat(promoted).isNotSameAs(killed).isSameAs(group.master());
        assertThat(role(promoted)).isEqualTo("master");
        String kept = run(promoted, redis -> redis.get("before-failover"));
        assertThat(kept).isEqualTo("kept");
        run(promoted, redis -> redis.set("after-failover", "written"));

        long restartedAt = System.nanoTime();
        group.restart(killed);
        long demotionMillis = (System.nanoTime() - restartedAt) / 1_000_000;

        assertThat(role(killed)).isEqualTo("slave");
        group.awaitReplicasInSync(Duration.ofSeconds(10));
        List<KeyValue<String, String>> copied = run(killed, redis -> redis.mget("before-failover", "after-failover"));
        assertThat(copied).extracting(kv -> kv.getValueOrElse(null)).containsExactly("kept", "written");
        assertThat(group.replicas()).hasSize(2).contains(killed);
        System.out.printf(
                "RESULT scenario=sentinel-fixture version=%s promotion_ms=%d demotion_ms=%d%n",
                group.version(), promotionMillis, demotionMillis);
    }

    static String role(LocalRedis node) {
        return run(node, redis -> redis.role().get(0).toString());
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
