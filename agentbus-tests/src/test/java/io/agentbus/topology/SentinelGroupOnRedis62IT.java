package io.agentbus.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisSentinelGroup;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/** The same checks with every process on the Redis 6.2 binary bundled with embedded-redis. */
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class SentinelGroupOnRedis62IT extends SentinelGroupIT {

    @BeforeEach
    void runsOnTheBundledRedis62(RedisSentinelGroup group) {
        assertThat(group.version().major()).isEqualTo(6);
        assertThat(group.version().minor()).isEqualTo(2);
    }
}
