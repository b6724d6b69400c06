package io.agentbus.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agentbus acl provision} without a Redis: what it prints, and that the password is never in it. */
class AclProvisionCommandTest {

    @Test
    void printsTheRuleWithThePasswordsHashNeverThePassword(@TempDir Path dir) throws Exception {
        Path passwordFile = Files.writeString(dir.resolve("pw"), "correct horse battery staple\n");

        CliRun run = CliRun.execute("acl", "provision", "worker-1", "--user-password-file", passwordFile.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(run.out())
                .startsWith(
                        "ACL SETUSER agent-worker-1 reset on #c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a resetchannels -@all ")
                .contains(" %RW~agent:{worker-1}:* ")
                .doesNotContain("~agent:*")
                .doesNotContain("correct horse");
        assertThat(run.err()).doesNotContain("correct horse");
    }

    @Test
    void printsAPlaceholderWithoutAPasswordFile() {
        CliRun run = CliRun.execute("acl", "provision", "worker-1");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).startsWith("ACL SETUSER agent-worker-1 reset on >CHANGE-ME ");
    }

    @Test
    void printsTheRuleThatDocsSecurityShows() throws Exception {
        String documented = Files.readAllLines(Path.of("..", "docs", "SECURITY.md")).stream()
                .filter(line -> line.startsWith("ACL SETUSER agent-worker-1 "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("docs/SECURITY.md shows no per-agent rule"));

        CliRun run = CliRun.execute("acl", "provision", "worker-1");

        assertThat(run.out().strip()).isEqualTo(documented);
    }

    @Test
    void refusesToApplyWithoutARedisOrAPasswordFileOrOnACluster(@TempDir Path dir) {
        CliRun noRedis = CliRun.execute(
                "acl",
                "provision",
                "w",
                "--apply",
                "--user-password-file",
                dir.resolve("p").toString());
        CliRun noFile = CliRun.execute("acl", "provision", "w", "--apply", "--redis", "redis://127.0.0.1:1");

        assertThat(noRedis.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(noRedis.err()).contains("--apply needs the Redis");
        assertThat(noFile.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(noFile.err()).contains("--apply needs --user-password-file");
        assertThat(Files.exists(dir.resolve("p"))).isFalse();

        CliRun cluster = CliRun.execute("acl", "provision", "w", "--redis", "redis-cluster://127.0.0.1:1");
        assertThat(cluster.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(cluster.err()).contains("on a cluster, print the rule");
    }
}
