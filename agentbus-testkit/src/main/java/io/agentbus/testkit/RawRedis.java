package io.agentbus.testkit;

import io.agentbus.embedded.LocalRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

/**
 * A plain Lettuce connection to a test server, with no agentbus code in between: to check the wire
 * facts docs/PROTOCOL.md promises as an agent in another language would see them, and to write
 * entries such an agent (or an attacker) would write.
 */
public final class RawRedis implements AutoCloseable {

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> text;
    private StatefulRedisConnection<byte[], byte[]> bytes;

    private RawRedis(RedisClient client) {
        this.client = client;
        this.text = client.connect();
    }

    /**
     * Connects to {@code redis}; the caller closes the connection. A test class under
     * {@link RedisServerExtension} can take a {@code RawRedis} parameter instead, closed with the server.
     */
    public static RawRedis connect(LocalRedis redis) {
        return new RawRedis(RedisClient.create(redis.uri()));
    }

    /** Commands with UTF-8 text keys and values. */
    public RedisCommands<String, String> commands() {
        return text.sync();
    }

    /** Commands with raw byte keys and values, for entries that are not valid UTF-8. */
    public synchronized RedisCommands<byte[], byte[]> bytes() {
        if (bytes == null) {
            bytes = client.connect(ByteArrayCodec.INSTANCE);
        }
        return bytes.sync();
    }

    @Override
    public void close() {
        text.close();
        if (bytes != null) {
            bytes.close();
        }
        client.shutdown();
    }
}
