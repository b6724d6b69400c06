package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/** The backlog figures again on the bundled Redis 6.2, which reports no lag: unread is counted there. */
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class InboxBacklogOnRedis62IT extends InboxBacklogIT {

    @BeforeEach
    void runsOnTheBundledRedis62(LocalRedis redis) {
        assertThat(redis.version().major()).isEqualTo(6);
        assertThat(redis.version().minor()).isEqualTo(2);
    }
}
