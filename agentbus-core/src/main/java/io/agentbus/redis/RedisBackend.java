package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import java.lang.reflect.InvocationTargetException;
import java.util.Objects;

/**
 * The one public door into the Redis implementation, used by {@link AgentBus#connect}. Everything
 * else in this package is package-private and may change without notice.
 */
public final class RedisBackend {

    /**
     * Starts the server behind {@link AgentBus#embedded}. Found by name so that the core does not
     * depend on agentbus-embedded, and with it on the Redis binary that artifact bundles.
     */
    private static final String LOCAL_REDIS = "io.agentbus.embedded.LocalRedis";

    private static final String EMBEDDED_ARTIFACT = "io.agentbus:agentbus-embedded";

    private RedisBackend() {}

    /**
     * Connects a bus to {@code uri}. {@code owned} is closed after the bus, for example the embedded
     * Redis the bus was started with.
     */
    public static AgentBus connect(String uri, BusOptions options, AutoCloseable owned) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(owned, "owned");
        BusUri target = BusUri.parse(uri);
        return RedisAgentBus.connect(target, options, owned);
    }

    /**
     * Starts {@code io.agentbus.embedded.LocalRedis} on a free loopback port and connects a bus to it
     * that stops the server when it closes; used by {@link AgentBus#embedded(BusOptions)}.
     *
     * @throws IllegalStateException if {@code io.agentbus:agentbus-embedded} is not on the classpath
     */
    public static AgentBus embedded(BusOptions options) {
        Objects.requireNonNull(options, "options");
        AutoCloseable redis = startLocalRedis();
        try {
            String uri = (String) redis.getClass().getMethod("uri").invoke(redis);
            return connect(uri, options, redis);
        } catch (RuntimeException | ReflectiveOperationException e) {
            closeQuietly(redis, e);
            throw rethrown(e);
        }
    }

    private static AutoCloseable startLocalRedis() {
        Class<?> localRedis;
        try {
            localRedis = Class.forName(LOCAL_REDIS, true, RedisBackend.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(
                    "AgentBus.embedded() starts a redis-server with " + LOCAL_REDIS + ", which is not on the"
                            + " classpath: add the dependency " + EMBEDDED_ARTIFACT
                            + ", or use AgentBus.connect(uri) with a Redis of your own",
                    e);
        }
        try {
            return (AutoCloseable) localRedis.getMethod("start").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw rethrown(e);
        }
    }

    /** The cause a reflective call threw, unwrapped, or an error saying the embedded API no longer fits. */
    private static RuntimeException rethrown(Exception e) {
        if (e instanceof InvocationTargetException invocation) {
            Throwable cause = invocation.getCause();
            if (cause instanceof RuntimeException runtime) {
                return runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            return new AgentBusException("could not start the embedded redis-server: " + cause, cause);
        }
        if (e instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(
                LOCAL_REDIS + " does not have the API this agentbus-core expects: use the same version of "
                        + EMBEDDED_ARTIFACT + " as of agentbus-core",
                e);
    }

    private static void closeQuietly(AutoCloseable redis, Exception failure) {
        try {
            redis.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }
}
