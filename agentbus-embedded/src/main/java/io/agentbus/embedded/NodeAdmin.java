package io.agentbus.embedded;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Admin commands to single nodes of a {@link RedisSentinelGroup} or {@link RedisClusterNodes}: one
 * Lettuce client, a short-lived connection per call (no reconnects, short timeouts, so a killed node
 * fails fast), and the polling the fixtures wait with.
 */
final class NodeAdmin implements AutoCloseable {

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(100);

    private final RedisClient client;

    NodeAdmin() {
        client = RedisClient.create();
        client.setOptions(ClientOptions.builder()
                .autoReconnect(false)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(Duration.ofSeconds(1))
                        .build())
                .build());
    }

    /** Runs {@code commands} on a new connection to {@code node}, closed afterwards. */
    <T> T call(LocalRedis node, Function<RedisCommands<String, String>, T> commands) {
        try (StatefulRedisConnection<String, String> connection = client.connect(uri(node))) {
            return commands.apply(connection.sync());
        }
    }

    /** As {@link #call}, with byte-array keys and values: keys of any content, e.g. for MIGRATE. */
    <T> T callBytes(LocalRedis node, Function<RedisCommands<byte[], byte[]>, T> commands) {
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE, uri(node))) {
            return commands.apply(connection.sync());
        }
    }

    /** Runs SENTINEL commands on a new connection to the sentinel {@code node}. */
    <T> T sentinel(LocalRedis node, Function<RedisSentinelCommands<String, String>, T> commands) {
        try (StatefulRedisSentinelConnection<String, String> connection = client.connectSentinel(uri(node))) {
            return commands.apply(connection.sync());
        }
    }

    /** The INFO section of {@code node} as a map of its {@code key:value} lines. */
    Map<String, String> info(LocalRedis node, String section) {
        return parseInfo(call(node, redis -> redis.info(section)));
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    static Map<String, String> parseInfo(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    /**
     * Polls {@code condition} until it holds; a Redis error (a node down, a connection refused) counts
     * as "not yet".
     *
     * @throws IllegalStateException naming {@code what} when {@code timeout} passes first
     */
    static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RedisException e) {
                last = e;
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what
                        + (last != null ? " (last error: " + last.getMessage() + ")" : ""));
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Deletes a fixture's temporary directory; best effort, as a leftover only costs disk. */
    /** {@code value}, if it is a positive duration; a builder's check of a timeout it is given. */
    static Duration positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    private static RedisURI uri(LocalRedis node) {
        return RedisURI.builder()
                .withHost(node.host())
                .withPort(node.port())
                .withTimeout(COMMAND_TIMEOUT)
                .build();
    }
}
