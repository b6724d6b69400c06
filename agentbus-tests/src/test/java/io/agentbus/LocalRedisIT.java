package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The fixture later fault tests stand on: real processes, real versions, real crashes. */
@ExtendWith(RedisServerExtension.class)
class LocalRedisIT {

    @Test
    void bundledBinaryIsRedis62AndServes() {
        try (LocalRedis redis =
                LocalRedis.builder().binary(LocalRedis.Binary.BUNDLED).start()) {
            assertThat(redis.version().toString()).startsWith("6.2.");
            assertThat(redis.executable().toString()).doesNotStartWith("/usr/bin");
            assertThat(ping(redis)).isEqualTo("PONG");
        }
    }

    @Test
    void killedServerWithAofKeepsItsDataOnRestart(@TempDir Path dataDir) {
        try (LocalRedis redis = LocalRedis.builder()
                .dataDir(dataDir)
                .args("--appendonly", "yes", "--appendfsync", "always")
                .start()) {
            int port = redis.port();
            run(redis, connection -> connection.set("survives", "yes"));

            redis.kill();
            assertThat(redis.isRunning()).isFalse();
            redis.restart();

            assertThat(redis.port()).isEqualTo(port);
            String survived = run(redis, connection -> connection.get("survives"));
            Map<String, String> appendonly = run(redis, connection -> connection.configGet("appendonly"));
            assertThat(survived).isEqualTo("yes");
            assertThat(appendonly).containsEntry("appendonly", "yes");
        }
    }

    @Test
    void closeKillsTheProcessAndDeletesItsOwnDataDir() {
        LocalRedis redis = LocalRedis.start();
        Path dataDir = redis.dataDir();

        redis.close();

        assertThat(redis.isRunning()).isFalse();
        assertThat(Files.exists(dataDir)).isFalse();
    }

    @Test
    void versionGateSkipsWithAReason(LocalRedis redis) {
        RedisServerExtension.assumeAtLeast(redis, 7, 0, "sharded pub/sub");

        assertThat(redis.version().atLeast(7, 0)).isTrue();
    }

    private static String ping(LocalRedis redis) {
        return run(redis, connection -> connection.ping());
    }

    private static <T> T run(LocalRedis redis, Function<RedisCommands<String, String>, T> action) {
        try (RawRedis raw = RawRedis.connect(redis)) {
            return action.apply(raw.commands());
        }
    }
}
