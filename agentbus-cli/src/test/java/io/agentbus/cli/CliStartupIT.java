package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How long a command takes from the shell, through the {@code agentbus} launcher (class archive, C1,
 * heap cap) as an operator runs it: {@code inbox} of an agent against a local Redis, 10 times. Reported
 * as {@code RESULT scenario=cli-startup}; asserted only against a sane bound, since machines differ.
 */
@ExtendWith(RedisServerExtension.class)
class CliStartupIT {

    private static final int RUNS = 10;
    private static final Path LAUNCHER =
            Path.of("..", "agentbus").toAbsolutePath().normalize();

    @Test
    void aCommandAgainstALocalRedisStartsQuickly(LocalRedis redis) throws Exception {
        String agent = "startup-probe";
        // An agent that exists, so that inbox answers 0 as it does in use; the first run also makes the
        // class archive if the build has none yet, and is not counted.
        run("send", "--from", "cmo", "--to", agent, "--type", "probe", "--payload", "{}", "--redis", redis.uri());
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            run("inbox", agent, "--redis", redis.uri());
            millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        Collections.sort(millis);
        long p50 = millis.get(RUNS / 2 - 1);
        long p90 = millis.get(RUNS * 9 / 10 - 1);
        System.out.println("RESULT scenario=cli-startup runs=" + RUNS + " p50_ms=" + p50 + " p90_ms=" + p90 + " max_ms="
                + millis.get(RUNS - 1));
        assertThat(p90).as("p90 of %s ms", millis).isLessThan(10_000);
    }

    /** Runs the launcher with these arguments; fails the test unless it exits 0. */
    private static void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile("agentbus-startup", ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile());
        builder.environment().remove(BusConnection.REDIS_URL_VARIABLE);
        builder.environment().remove("AGENTBUS_JAVA_OPTS");
        Process process = builder.start();
        try {
            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as("%s still running", command)
                    .isTrue();
            assertThat(process.exitValue())
                    .as("%s: %s", command, Files.readString(err, StandardCharsets.UTF_8))
                    .isZero();
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }
}
