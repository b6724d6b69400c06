package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import java.util.Objects;

/**
 * The one public door into the Redis implementation, used by {@link AgentBus#connect}. Everything
 * else in this package is package-private and may change without notice.
 */
public final class RedisBackend {

    private RedisBackend() {}

    /**
     * Connects a bus to {@code uri}. {@code owned} is closed after the bus, for example the embedded
     * Redis the bus was started with.
     */
    public static AgentBus connect(String uri, BusOptions options, AutoCloseable owned) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(owned, "owned");
        BusUri target = BusUri.parse(uri);
        if (target.mode() != BusUri.Mode.STANDALONE) {
            throw new IllegalArgumentException(target.mode().name().toLowerCase(java.util.Locale.ROOT)
                    + " URIs are parsed but not supported yet by this version of agentbus: use redis:// or rediss://"
                    + " (got " + BusUri.masked(uri) + ")");
        }
        return RedisAgentBus.connect(target.nodes().get(0), options, owned);
    }
}
