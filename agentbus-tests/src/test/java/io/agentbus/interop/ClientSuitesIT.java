package io.agentbus.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Python and Node clients' own test suites, run by {@code mvn verify} like every other test. Their
 * RESULT lines are echoed to stdout. They start their own redis-server: the binary the Java tests use
 * (from PATH, else the bundled one) is given to them as {@code REDIS_SERVER}.
 */
@ExtendWith(RedisServerExtension.class)
class ClientSuitesIT {

    private static final long SUITE_TIMEOUT_MINUTES = 5;

    @BeforeAll
    static void requireClients() {
        InteropTools.requirePythonAndNode();
    }

    @Test
    void pythonClientSuitePasses(LocalRedis redis) throws Exception {
        Path clients = InteropTools.clientsDir();

        int exitCode = runSuite(
                clients.getParent(),
                redis,
                InteropTools.PYTHON.toString(),
                "-m",
                "unittest",
                "discover",
                "-s",
                clients.resolve("python/tests").toString());

        assertThat(exitCode)
                .as("python3 -m unittest discover -s clients/python/tests exit code")
                .isZero();
    }

    @Test
    void nodeClientSuitePasses(LocalRedis redis) throws Exception {
        int exitCode = runSuite(InteropTools.clientsDir().resolve("node"), redis, "npm", "test");

        assertThat(exitCode).as("npm test (clients/node) exit code").isZero();
    }

    @Test
    void clientsAreVersionedWithTheJavaArtifacts() throws Exception {
        // 0.1.0-SNAPSHOT is 0.1.0.dev0 for Python (PEP 440) and 0.1.0-snapshot for npm (semver, lower case).
        String maven = System.getProperty("agentbus.version");
        String release = maven.replace("-SNAPSHOT", "");
        boolean snapshot = maven.endsWith("-SNAPSHOT");
        Path clients = InteropTools.clientsDir();

        String pyproject = Files.readString(clients.resolve("python/pyproject.toml"));
        String packageJson = Files.readString(clients.resolve("node/package.json"));
        String init = Files.readString(clients.resolve("python/src/agentbus/__init__.py"));

        String python = snapshot ? release + ".dev0" : release;
        String node = snapshot ? release + "-snapshot" : release;
        assertThat(pyproject).as("clients/python/pyproject.toml").contains("version = \"" + python + "\"");
        assertThat(init).as("clients/python/src/agentbus/__init__.py").contains("__version__ = \"" + python + "\"");
        assertThat(packageJson).as("clients/node/package.json").contains("\"version\": \"" + node + "\"");
    }

    /** Runs a suite to its end; its RESULT lines go to stdout, everything it printed to stderr. */
    private static int runSuite(Path directory, LocalRedis redis, String... command) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().put("REDIS_SERVER", redis.executable().toString());
        Process process = builder.start();
        process.getOutputStream().close();
        List<String> output = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    // A runner may indent or prefix a test's output (node --test does): the RESULT part is echoed.
                    int result = line.indexOf("RESULT scenario=");
                    if (result >= 0) {
                        System.out.println(line.substring(result));
                    } else {
                        System.err.println(line);
                    }
                    output.add(line);
                }
            } catch (java.io.IOException e) {
                // the suite was killed: its output closes
            }
        });
        reader.start();
        if (!process.waitFor(SUITE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            // npm runs the suite in a child process: end that one too.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            reader.join();
            throw new AssertionError(String.join(" ", command) + " still running after " + SUITE_TIMEOUT_MINUTES
                    + " minutes; its last lines:\n"
                    + String.join("\n", output.subList(Math.max(0, output.size() - 40), output.size())));
        }
        reader.join();
        return process.exitValue();
    }
}
