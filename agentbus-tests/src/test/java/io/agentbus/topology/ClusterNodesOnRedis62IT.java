package io.agentbus.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/** The same checks with every process on the Redis 6.2 binary bundled with embedded-redis. */
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class ClusterNodesOnRedis62IT extends ClusterNodesIT {

    @BeforeEach
    void runsOnTheBundledRedis62(RedisClusterNodes cluster) {
        assertThat(cluster.version().major()).isEqualTo(6);
        assertThat(cluster.version().minor()).isEqualTo(2);
    }
}
