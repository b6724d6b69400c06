package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.protocol.RedisVersion;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server is and which Redis version it is compatible with, read with {@code HELLO} (no
 * arguments: it answers in the protocol already negotiated and changes nothing). {@code HELLO} is in
 * {@code @fast @connection}, which every ACL user that can connect has in practice; {@code INFO} is in
 * {@code @dangerous} and is not needed (docs/SECURITY.md).
 *
 * <p>Valkey answers {@code server valkey} and its own version; the Redis version it is compatible with
 * is read from {@code INFO server} when the user may run it, and is otherwise taken as
 * {@link #VALKEY_FORK_POINT}, the Redis release Valkey was forked from.
 *
 * @param software how the server names itself: {@code Redis 7.0.15}, {@code Valkey 8.0.1}
 * @param version  the Redis version it is compatible with
 */
record ServerIdentity(String software, RedisVersion version) {

    private static final Logger log = LoggerFactory.getLogger(ServerIdentity.class);

    /** The Redis release Valkey forked from: every Valkey is compatible with it at least. */
    static final RedisVersion VALKEY_FORK_POINT = new RedisVersion(7, 2, 4);

    /** Reads the identity of the server {@code node} is connected to. */
    static ServerIdentity read(RedisClusterCommands<String, String> node) {
        List<Object> hello;
        try {
            hello = node.dispatch(
                    CommandType.HELLO, new ArrayOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8));
        } catch (RedisException e) {
            // Not expected of a server we support (6.2+ has HELLO without arguments); INFO may still work.
            log.debug("HELLO failed ({}); reading the version from INFO", e.getMessage());
            return fromInfo(node.info("server"));
        }
        String server = field(hello, "server");
        String version = field(hello, "version");
        if (server == null || version == null) {
            throw new AgentBusException("HELLO named no server or version: " + hello);
        }
        if (!"valkey".equalsIgnoreCase(server)) {
            RedisVersion redisVersion = RedisVersion.parse(version);
            return new ServerIdentity("Redis " + redisVersion, redisVersion);
        }
        String software = "Valkey " + version;
        try {
            return new ServerIdentity(software, RedisVersion.parse(infoField(node.info("server"), "redis_version")));
        } catch (RedisException e) {
            log.debug("INFO is denied ({}); taking {} as compatible with Redis {}", e, software, VALKEY_FORK_POINT);
            return new ServerIdentity(software, VALKEY_FORK_POINT);
        }
    }

    /** The identity as {@code INFO server} gives it: the way of servers that refuse {@code HELLO}. */
    static ServerIdentity fromInfo(String serverInfo) {
        RedisVersion redisVersion = RedisVersion.parse(infoField(serverInfo, "redis_version"));
        if (serverInfo.contains("\nserver_name:valkey") || serverInfo.startsWith("server_name:valkey")) {
            return new ServerIdentity("Valkey " + infoField(serverInfo, "valkey_version"), redisVersion);
        }
        return new ServerIdentity("Redis " + redisVersion, redisVersion);
    }

    /** The value after {@code name} in a HELLO reply: a map in RESP3, alternating names and values in RESP2. */
    private static String field(List<Object> hello, String name) {
        for (int i = 0; i + 1 < hello.size(); i += 2) {
            if (name.equals(String.valueOf(hello.get(i)))) {
                Object value = hello.get(i + 1);
                return value == null ? null : String.valueOf(value);
            }
        }
        return null;
    }

    private static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new AgentBusException("INFO server has no " + name);
    }
}
