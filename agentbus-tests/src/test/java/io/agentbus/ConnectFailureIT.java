package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.connect.ConnectionRefusedException;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(perTest = true)
class ConnectFailureIT {

    @Test
    void connectingToAStoppedRedisFailsFastWithATypedError(LocalRedis redis) {
        redis.stop();
        BusOptions options = BusOptions.builder()
                .connection(ConnectionOptions.builder()
                        .connectTimeout(Duration.ofSeconds(2))
                        .build())
                .build();

        long started = System.nanoTime();
        assertThatThrownBy(() -> AgentBus.connect(redis.uri(), options))
                .isInstanceOf(ConnectionRefusedException.class)
                .isInstanceOf(BusUnavailableException.class)
                .hasMessageContaining("cannot connect to redis://127.0.0.1:" + redis.port())
                .hasMessageContaining("connection refused by 127.0.0.1:" + redis.port())
                .hasMessageNotContaining("<unresolved>");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aRestartedServerIsUsableOnTheSamePort(LocalRedis redis) {
        int port = redis.port();
        redis.kill();

        redis.restart();

        assertThat(redis.port()).isEqualTo(port);
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            assertThat(bus.serverVersion()).isEqualTo(redis.version());
            assertThat(bus.serverSoftware()).isEqualTo("Redis " + redis.version());
        }
    }

    @Test
    void unsupportedUrisAreRefusedWithAClearMessage() {
        assertThatThrownBy(() -> AgentBus.connect("http://localhost:6379"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use redis://, rediss://, redis-sentinel:// or redis-cluster://");
    }
}
