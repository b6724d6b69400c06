package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/**
 * The direct-messaging suite again on the Redis 6.2 binary bundled with embedded-redis: agentbus
 * must run on 6.2, and this also exercises the fallback binary on machines with redis-server on PATH.
 */
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class DirectMessagingOnRedis62IT extends DirectMessagingIT {

    @BeforeEach
    void runsOnTheBundledRedis62(LocalRedis redis) {
        assertThat(redis.version().major()).isEqualTo(6);
        assertThat(redis.version().minor()).isEqualTo(2);
    }
}
