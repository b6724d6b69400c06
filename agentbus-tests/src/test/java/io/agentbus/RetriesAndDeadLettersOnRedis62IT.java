package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/**
 * The retry and dead-letter suite again on the bundled Redis 6.2: reclaim.lua must behave the same
 * where XAUTOCLAIM keeps deleted entries in the PEL (6.2) and where it drops them itself (7.x).
 */
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class RetriesAndDeadLettersOnRedis62IT extends RetriesAndDeadLettersIT {

    @BeforeEach
    void runsOnTheBundledRedis62(LocalRedis redis) {
        assertThat(redis.version().major()).isEqualTo(6);
        assertThat(redis.version().minor()).isEqualTo(2);
    }
}
