package io.agentbus.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the Python and Node clients are, and whether this machine can run them: {@code /usr/bin/python3}
 * with the {@code redis} module, {@code node}, and the Node client's {@code node_modules}. When something
 * is missing, the interop tests fail if the environment variable {@code CI} is {@code true} (CI never
 * skips them) and are skipped otherwise, saying what to install.
 */
final class InteropTools {

    static final Path PYTHON = Path.of("/usr/bin/python3");

    private InteropTools() {}

    /**
     * The clients' directory: the system property {@code agentbus.clients.dir} (set by the build to the
     * repository's {@code clients}, or to another checkout's), else {@code clients} above the working directory.
     */
    static Path clientsDir() {
        String configured = System.getProperty("agentbus.clients.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("protocol"))) {
                return dir.resolve("clients");
            }
        }
        return Path.of("clients").toAbsolutePath();
    }

    /** Fails (CI) or skips (elsewhere) the calling test unless Python with redis-py and Node with the client's node_modules are there. */
    static void requirePythonAndNode() {
        List<String> missing = new ArrayList<>();
        if (!succeeds(PYTHON.toString(), "-c", "import redis")) {
            missing.add("/usr/bin/python3 with the redis module (Debian packages python3 and python3-redis)");
        }
        if (!succeeds("node", "--version")) {
            missing.add("node (Debian packages nodejs and npm)");
        } else if (!Files.isDirectory(clientsDir().resolve("node").resolve("node_modules"))) {
            missing.add(clientsDir().resolve("node").resolve("node_modules")
                    + " (run npm ci --no-audit --no-fund in clients/node, as .ci/run does)");
        }
        String message = "the interop tests need " + String.join(", ", missing);
        assertThat(missing.isEmpty() || !"true".equals(System.getenv("CI")))
                .as("CI never skips the interop tests: " + message)
                .isTrue();
        assumeTrue(missing.isEmpty(), message);
    }

    /** The Python client's driver, {@code python3 -m agentbus}. */
    static ProcessPeer python(String redisUri) {
        return new ProcessPeer(
                "python",
                List.of(PYTHON.toString(), "-m", "agentbus"),
                Map.of(
                        "PYTHONPATH",
                        clientsDir().resolve("python").resolve("src").toString()),
                redisUri);
    }

    /** The Node client's driver, {@code node bin/agentbus.js}. */
    static ProcessPeer node(String redisUri) {
        return new ProcessPeer(
                "node",
                List.of(
                        "node",
                        clientsDir()
                                .resolve("node")
                                .resolve("bin")
                                .resolve("agentbus.js")
                                .toString()),
                Map.of(),
                redisUri);
    }

    private static boolean succeeds(String... command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return process.waitFor(20, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
