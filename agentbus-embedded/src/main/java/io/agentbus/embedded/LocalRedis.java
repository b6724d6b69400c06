package io.agentbus.embedded;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.protocol.RedisVersion;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

/**
 * A {@code redis-server} process started by this JVM on a loopback port, for demos
 * ({@link AgentBus#embedded()}, which finds this class by name when this artifact,
 * {@code io.agentbus:agentbus-embedded}, is on the classpath) and tests (the testkit).
 *
 * <p>Binary: {@code redis-server} from {@code PATH} when there is one, otherwise the Redis 6.2 binary
 * shipped inside {@code com.github.codemonstur:embedded-redis} ({@link Binary}). The server keeps
 * nothing on disk unless asked ({@code --save "" --appendonly no}); extra arguments are appended
 * last, so they override those defaults. It can be stopped, killed with SIGKILL and started again on
 * the same port and data directory, which is what fault tests need. Every server still running when
 * the JVM exits is killed.
 *
 * <p>It listens on {@value #DEFAULT_HOST} unless {@link Builder#host} names another loopback address
 * (Linux answers on all of 127.0.0.0/8), which lets a test tell servers apart by address: to cut the
 * traffic between some of them while a client on {@value #DEFAULT_HOST} still reaches each.
 */
public final class LocalRedis implements AutoCloseable {

    /** Where the {@code redis-server} binary comes from. */
    public enum Binary {
        /** {@code redis-server} from PATH if present, else the bundled one. */
        AUTO,
        /** {@code redis-server} from PATH; fails if there is none. */
        PATH,
        /** The binary inside the embedded-redis artifact (Redis 6.2), even when PATH has one. */
        BUNDLED,
        /** {@code valkey-server} from PATH (Valkey, the Redis fork); fails if there is none. */
        VALKEY
    }

    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(LocalRedis.class);
    /** The address a server listens on unless {@link Builder#host} says otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    private static final int PORT_ATTEMPTS = 5;
    private static final Set<LocalRedis> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> RUNNING.forEach(LocalRedis::kill), "agentbus-local-redis-reaper"));
    }

    private final Path executable;
    private final RedisVersion version;
    private final List<String> extraArgs;
    private final Path configFile;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final Duration startTimeout;
    private final String host;
    private volatile int port;
    private volatile Process process;

    private LocalRedis(Builder builder) throws IOException {
        executable = resolve(builder.binary);
        version = versionOf(executable);
        extraArgs = List.copyOf(builder.args);
        configFile = builder.configFile;
        ownsDataDir = builder.dataDir == null;
        dataDir = ownsDataDir ? Files.createTempDirectory("agentbus-redis-") : builder.dataDir;
        startTimeout = builder.startTimeout;
        host = builder.host;
        port = builder.port;
    }

    /** Starts a server with the defaults: binary {@link Binary#AUTO}, a free port, a fresh data directory. */
    public static LocalRedis start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String uri() {
        return "redis://" + host + ":" + port;
    }

    /** The loopback address the server listens on; {@value #DEFAULT_HOST} by default. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The server's version, as the binary reports it. */
    public RedisVersion version() {
        return version;
    }

    public Path executable() {
        return executable;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The server's log file, in the data directory. */
    public Path logFile() {
        return dataDir.resolve("redis.log");
    }

    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** Starts the server again on the same port and data directory after {@link #stop()} or {@link #kill()}. */
    public synchronized LocalRedis restart() {
        if (isRunning()) {
            throw new IllegalStateException("redis-server on port " + port + " is still running");
        }
        launch();
        return this;
    }

    /** Stops the server with SIGTERM, as an operator would; it writes its AOF/RDB if configured. */
    public synchronized void stop() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroy();
        awaitExit(current);
    }

    /** Kills the server with SIGKILL: a crash, with no chance to write anything. */
    public synchronized void kill() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroyForcibly();
        awaitExit(current);
    }

    /** Kills the server and deletes its data directory if this object created it. */
    @Override
    public void close() {
        kill();
        if (ownsDataDir) {
            deleteRecursively(dataDir);
        }
    }

    @Override
    public String toString() {
        return "LocalRedis{" + uri() + ", version=" + version + ", executable=" + executable + '}';
    }

    private synchronized void launch() {
        boolean choosePort = port == 0;
        for (int attempt = 1; ; attempt++) {
            int candidate = choosePort ? freePort(host) : port;
            try {
                process = spawn(candidate);
                port = candidate;
                RUNNING.add(this);
                awaitPong();
                log.debug("started {}", this);
                return;
            } catch (IOException | RuntimeException e) {
                kill();
                // A port chosen free can be taken by someone else before redis-server binds it.
                if (!choosePort || attempt == PORT_ATTEMPTS || !logShowsPortInUse()) {
                    port = choosePort ? 0 : port;
                    throw new AgentBusException(
                            "could not start " + executable + " on port " + candidate + ": " + e.getMessage()
                                    + logTail(),
                            e);
                }
            }
        }
    }

    private Process spawn(int onPort) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        if (configFile != null) {
            // redis-server reads a config file only as its first argument.
            command.add(configFile.toString());
        }
        command.addAll(List.of(
                "--port",
                Integer.toString(onPort),
                "--bind",
                host,
                "--dir",
                dataDir.toString(),
                "--logfile",
                logFile().toString(),
                "--daemonize",
                "no",
                "--save",
                "",
                "--appendonly",
                "no"));
        if (!host.equals(DEFAULT_HOST)) {
            // Protected mode admits clients from 127.0.0.1 only, not from the other loopback addresses.
            command.addAll(List.of("--protected-mode", "no"));
            if (version.atLeast(7, 0)) {
                // Replication and sentinel links leave from this address too (6.2 does so by itself: from
                // its first bind address), so that another server sees this one's address, not 127.0.0.1.
                command.addAll(List.of("--bind-source-addr", host));
            }
        }
        command.addAll(extraArgs);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dataDir.resolve("redis.out").toFile()))
                .start();
    }

    private void awaitPong() throws IOException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with status " + process.exitValue());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 200);
                socket.setSoTimeout(1000);
                OutputStream out = socket.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] reply = new byte[7];
                int read = socket.getInputStream().readNBytes(reply, 0, reply.length);
                if (new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            sleep(20);
        }
        throw new IOException(
                "no PONG within " + startTimeout + (last != null ? " (last error: " + last.getMessage() + ")" : ""));
    }

    private void awaitExit(Process current) {
        try {
            if (!current.waitFor(10, TimeUnit.SECONDS)) {
                current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(this);
        process = null;
    }

    private boolean logShowsPortInUse() {
        return readLog().contains("Address already in use");
    }

    private String logTail() {
        String text = readLog().strip();
        if (text.isEmpty()) {
            return "";
        }
        String[] lines = text.split("\n");
        int from = Math.max(0, lines.length - 5);
        return "; redis-server said: " + String.join(" | ", List.of(lines).subList(from, lines.length));
    }

    private String readLog() {
        StringBuilder text = new StringBuilder();
        for (Path file : List.of(logFile(), dataDir.resolve("redis.out"))) {
            try {
                if (Files.exists(file)) {
                    text.append(Files.readString(file, StandardCharsets.ISO_8859_1));
                }
            } catch (IOException ignored) {
                // best effort: the log only enriches an error message
            }
        }
        return text.toString();
    }

    private static Path resolve(Binary binary) throws IOException {
        if (binary == Binary.VALKEY) {
            Path valkey = findOnPath("valkey-server");
            if (valkey == null) {
                throw new AgentBusException("no valkey-server on PATH (" + System.getenv("PATH") + ")");
            }
            return valkey;
        }
        if (binary != Binary.BUNDLED) {
            Path onPath = findOnPath("redis-server");
            if (onPath != null) {
                return onPath;
            }
            if (binary == Binary.PATH) {
                throw new AgentBusException("no redis-server on PATH (" + System.getenv("PATH") + ")");
            }
        }
        File bundled = ExecutableProvider.newJarResourceProvider().get();
        if (!bundled.canExecute() && !bundled.setExecutable(true)) {
            throw new AgentBusException("cannot make the bundled redis-server executable: " + bundled);
        }
        return bundled.toPath();
    }

    private static Path findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static RedisVersion versionOf(Path executable) throws IOException {
        Process probe = new ProcessBuilder(executable.toString(), "--version")
                .redirectErrorStream(true)
                .start();
        try (InputStream out = probe.getInputStream()) {
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            probe.waitFor(10, TimeUnit.SECONDS);
            // "Redis server v=7.0.15 sha=...", or "Valkey server v=8.0.1 ..."
            int at = text.indexOf("v=");
            return RedisVersion.parse(at >= 0 ? text.substring(at + 2) : text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + executable + " for its version", e);
        }
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new AgentBusException("no free loopback port: " + e.getMessage(), e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentBusException("interrupted while starting redis-server", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.debug("could not delete {}", dir, e);
        }
    }

    /** Settings of a {@link LocalRedis}. */
    public static final class Builder {
        private Binary binary = Binary.AUTO;
        private String host = DEFAULT_HOST;
        private int port;
        private final List<String> args = new ArrayList<>();
        private Path configFile;
        private Path dataDir;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;

        private Builder() {}

        /** Default {@link Binary#AUTO}. */
        public Builder binary(Binary binary) {
            this.binary = Objects.requireNonNull(binary, "binary");
            return this;
        }

        /**
         * An IPv4 loopback address to listen on, such as {@code 127.42.0.1}; default {@value LocalRedis#DEFAULT_HOST}.
         * Any other address also turns protected mode off (it admits 127.0.0.1 alone) and, on Redis 7 and
         * later, sets {@code bind-source-addr} to it, so that the connections the server opens (a replica
         * to its master, a sentinel to what it monitors) come from it.
         */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            boolean loopback;
            try {
                InetAddress address = InetAddress.getByName(host);
                loopback = address instanceof Inet4Address
                        && address.isLoopbackAddress()
                        && address.getHostAddress().equals(host);
            } catch (UnknownHostException e) {
                loopback = false;
            }
            if (!loopback) {
                throw new IllegalArgumentException(
                        "host must be an IPv4 loopback address (127.x.y.z), was '" + host + "'");
            }
            this.host = host;
            return this;
        }

        /** Default 0: a free loopback port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /** Server arguments appended last, e.g. {@code "--appendonly", "yes"}. */
        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        public Builder args(List<String> args) {
            this.args.addAll(args);
            return this;
        }

        /**
         * A config file passed to {@code redis-server} before every other argument, so the command-line
         * arguments override it. Default: none. Sentinel mode ({@code args("--sentinel")}) needs one,
         * writable, since a sentinel rewrites it with what it learns.
         */
        public Builder configFile(Path configFile) {
            this.configFile = Objects.requireNonNull(configFile, "configFile");
            return this;
        }

        /** Default: a new temporary directory, deleted on {@link LocalRedis#close()}. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
            return this;
        }

        /** Starts the server and waits until it answers PING. */
        public LocalRedis start() {
            LocalRedis redis;
            try {
                redis = new LocalRedis(this);
            } catch (IOException e) {
                throw new AgentBusException("cannot prepare redis-server: " + e.getMessage(), e);
            }
            redis.launch();
            return redis;
        }
    }
}
