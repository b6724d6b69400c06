package io.agentbus.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.cli.AgentBusCommand;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code agentbus acl provision} on the bundled Redis 6.2: refused, saying why, and nothing created. */
@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(binary = LocalRedis.Binary.BUNDLED)
class AclProvisionOnRedis62IT {

    @Test
    void provisionIsRefusedOnRedis62WithoutCreatingAUserOrAPassword(LocalRedis redis, RawRedis raw, @TempDir Path dir) {
        assertThat(redis.version().major()).isEqualTo(6);
        Path passwordFile = dir.resolve("a.password");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exitCode = AgentBusCommand.newCommandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "acl",
                        "provision",
                        "a",
                        "--apply",
                        "--user-password-file",
                        passwordFile.toString(),
                        "--redis",
                        redis.uri());

        assertThat(exitCode).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(err.toString())
                .contains("per-agent ACL users need Redis 7.0.0 or newer")
                .contains("this is Redis 6.2");
        assertThat(out.toString()).isEmpty();
        assertThat(raw.commands().aclUsers()).doesNotContain("agent-a");
        assertThat(Files.exists(passwordFile)).isFalse();
    }
}
