package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import org.junit.jupiter.api.BeforeEach;

/**
 * The retry and dead-letter suite again on Valkey 8 (`valkey-server` from PATH, installed by .ci/run): a Redis
 * fork that managed services run, which reports itself as Valkey beside the Redis version it is compatible with.
 */
@RedisServerConfig(binary = LocalRedis.Binary.VALKEY)
class RetriesAndDeadLettersOnValkeyIT extends RetriesAndDeadLettersIT {

    @BeforeEach
    void runsOnValkeyAndTheBusSaysSo(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            assertThat(bus.serverSoftware()).startsWith("Valkey ");
            assertThat(bus.serverVersion().atLeast(7, 2)).isTrue();
        }
    }
}
