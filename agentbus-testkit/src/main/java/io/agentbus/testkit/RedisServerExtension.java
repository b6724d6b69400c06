package io.agentbus.testkit;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.RedisVersion;
import java.lang.reflect.AnnotatedElement;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a real {@code redis-server} for a test class on a free loopback port, and kills it when
 * the class is done (or the JVM exits). Tests receive it as a {@link LocalRedis} parameter, and a
 * plain connection to it as a {@link RawRedis} parameter (opened on first use, closed with the server):
 *
 * <pre>{@code
 * @ExtendWith(RedisServerExtension.class)
 * class InboxIT {
 *     @Test
 *     void delivers(LocalRedis redis) {
 *         try (AgentBus bus = AgentBus.connect(redis.uri())) { ... }
 *     }
 * }
 * }</pre>
 *
 * <p>The binary is {@code redis-server} from PATH when present, else the bundled Redis 6.2; configure
 * it, extra arguments or one server per test with {@link RedisServerConfig}. Never the machine's own
 * Redis on 6379: each class gets a server of its own, so tests cannot see each other's keys across
 * classes, and use fresh agent ids within a class. For Sentinel and Cluster deployments, see
 * {@link RedisTopologyExtension}.
 */
public final class RedisServerExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(RedisServerExtension.class);
    private static final String SERVER = "server";

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!config(context.getRequiredTestClass()).perTest()) {
            context.getStore(NAMESPACE).getOrComputeIfAbsent(SERVER, key -> start(context), Server.class);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (config(context.getRequiredTestClass()).perTest()) {
            context.getStore(NAMESPACE).getOrComputeIfAbsent(SERVER, key -> start(context), Server.class);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == LocalRedis.class || type == RawRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Server server = context.getStore(NAMESPACE).get(SERVER, Server.class);
        if (server == null) {
            throw new ParameterResolutionException("no redis-server started for " + context.getDisplayName());
        }
        return parameter.getParameter().getType() == RawRedis.class ? server.raw() : server.redis;
    }

    /** Skips the calling test, with the reason, when the server is older than {@code major.minor}. */
    public static void assumeAtLeast(LocalRedis redis, int major, int minor, String reason) {
        RedisVersion version = redis.version();
        Assumptions.assumeTrue(
                version.atLeast(major, minor),
                () -> reason + ": needs Redis " + major + "." + minor + "+, this server is " + version);
    }

    private static Server start(ExtensionContext context) {
        RedisServerConfig config = config(context.getRequiredTestClass());
        if (config.binary() == LocalRedis.Binary.VALKEY && System.getenv("CI") == null) {
            // A developer's machine may lack Valkey: its suites are skipped there. CI installs it
            // (.ci/run), and there a missing valkey-server fails the suite instead.
            Assumptions.assumeTrue(
                    onPath("valkey-server"), "no valkey-server on PATH: the Valkey suites run in CI (.ci/run)");
        }
        // The store closes AutoCloseable values when its context ends: the class, or the test.
        return new Server(
                LocalRedis.builder().binary(config.binary()).args(config.args()).start());
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        return path != null
                && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                        .anyMatch(dir -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, name)));
    }

    private static RedisServerConfig config(AnnotatedElement testClass) {
        RedisServerConfig config = testClass.getAnnotation(RedisServerConfig.class);
        return config != null ? config : Defaults.class.getAnnotation(RedisServerConfig.class);
    }

    @RedisServerConfig
    private static final class Defaults {}

    /** A started server and the raw connection to it that tests asked for, closed together. */
    private static final class Server implements AutoCloseable {
        private final LocalRedis redis;
        private RawRedis raw;

        Server(LocalRedis redis) {
            this.redis = redis;
        }

        synchronized RawRedis raw() {
            if (raw == null) {
                raw = RawRedis.connect(redis);
            }
            return raw;
        }

        @Override
        public synchronized void close() {
            if (raw != null) {
                raw.close();
            }
            redis.close();
        }
    }
}
