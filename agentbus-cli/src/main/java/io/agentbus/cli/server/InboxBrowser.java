package io.agentbus.cli.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentbus.AgentId;
import io.agentbus.BusUnavailableException;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reads an agent's inbox without consuming it, for the dashboard's agent page: the oldest or newest entries of its
 * three band streams ({@code XRANGE}/{@code XREVRANGE}) and its pending entries ({@code XPENDING} with a range), the
 * keys of docs/PROTOCOL.md section 2. Nothing is delivered, acknowledged or changed.
 *
 * <p>The bus's public API has no such read (a subscription consumes; {@code InboxStats} only sums), so this reads
 * the documented keys over a plain Lettuce connection of its own, made from the Redis URI (a standalone server, a
 * {@code redis-sentinel://} master, or the seeds of a {@code redis-cluster://}; TLS and password as the URI gives
 * them). It connects at the first read and keeps the connection, which Lettuce reconnects; while Redis is away a
 * read fails at once ({@link BusUnavailableException}) instead of queueing.
 */
final class InboxBrowser implements AutoCloseable {

    /** The most entries one read returns. */
    static final int MAX_ENTRIES = 100;

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    private static final String CLUSTER_SCHEME = "redis-cluster://";
    // Trailing tokens fail: a payload such as "12 monkeys" is text, not the number 12.
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The band streams by name, highest first, each named by one of its priorities. */
    private static final Map<String, Integer> BANDS = Map.of("high", 9, "normal", 5, "low", 1);

    /** Which end of the inbox a peek reads. */
    enum End {
        OLDEST,
        NEWEST
    }

    private final String uri;
    private AbstractRedisClient client;
    private StatefulConnection<String, String> connection;
    private RedisClusterCommands<String, String> commands;

    /** Connects to {@code uri} at the first read. */
    InboxBrowser(String uri) {
        this.uri = uri;
    }

    /**
     * The {@code limit} oldest (oldest first) or newest (newest first) entries over the three bands: entry id, band,
     * {@code unread} (appended after the last entry delivered to any instance of the band's group, or no group yet),
     * and the entry's fields by their wire names, the payload as JSON when it is JSON.
     */
    ArrayNode peek(AgentId agent, End end, int limit) {
        return read(redis -> {
            List<Entry> entries = new ArrayList<>();
            BANDS.forEach((band, priority) -> {
                String stream = KeySchema.inbox(agent, priority);
                Optional<EntryId> lastDelivered = lastDelivered(redis, stream);
                List<StreamMessage<String, String>> messages = end == End.OLDEST
                        ? redis.xrange(stream, Range.create("-", "+"), Limit.from(limit))
                        : redis.xrevrange(stream, Range.create("-", "+"), Limit.from(limit));
                for (StreamMessage<String, String> message : messages) {
                    EntryId id = EntryId.of(message.getId());
                    boolean unread =
                            lastDelivered.map(last -> id.compareTo(last) > 0).orElse(true);
                    entries.add(new Entry(band, id, unread, message.getBody()));
                }
            });
            Comparator<Entry> byId = Comparator.comparing(Entry::id);
            entries.sort(end == End.OLDEST ? byId : byId.reversed());
            ArrayNode json = MAPPER.createArrayNode();
            entries.stream().limit(limit).forEach(entry -> json.add(entry.toJson()));
            return json;
        });
    }

    /** Up to {@code limit} pending entries of each band, oldest first: entry id, band, owner, idle and deliveries. */
    ArrayNode pending(AgentId agent, int limit) {
        return read(redis -> {
            ArrayNode json = MAPPER.createArrayNode();
            BANDS.forEach((band, priority) -> {
                for (PendingMessage entry : pendingOf(redis, KeySchema.inbox(agent, priority), limit)) {
                    ObjectNode line = json.addObject();
                    line.put("entry_id", entry.getId());
                    line.put("band", band);
                    line.put("consumer", entry.getConsumer());
                    line.put("idle_ms", entry.getMsSinceLastDelivery());
                    line.put("deliveries", entry.getRedeliveryCount());
                }
            });
            return json;
        });
    }

    private static List<PendingMessage> pendingOf(
            RedisClusterCommands<String, String> redis, String stream, int limit) {
        try {
            return redis.xpending(stream, KeySchema.INBOX_GROUP, Range.create("-", "+"), Limit.from(limit));
        } catch (RedisCommandExecutionException e) {
            if (noGroup(e)) {
                return List.of(); // nobody ever subscribed: nothing was delivered
            }
            throw e;
        }
    }

    /** The last entry delivered to the band's group; empty without a group (or stream). */
    private static Optional<EntryId> lastDelivered(RedisClusterCommands<String, String> redis, String stream) {
        List<Object> groups;
        try {
            groups = redis.xinfoGroups(stream);
        } catch (RedisCommandExecutionException e) {
            if (e.getMessage() != null && e.getMessage().contains("no such key")) {
                return Optional.empty();
            }
            throw e;
        }
        for (Object group : groups) {
            List<?> fields = (List<?>) group;
            Map<String, Object> byName = new HashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                byName.put(String.valueOf(fields.get(i)), fields.get(i + 1));
            }
            if (KeySchema.INBOX_GROUP.equals(String.valueOf(byName.get("name")))) {
                return Optional.of(EntryId.of(String.valueOf(byName.get("last-delivered-id"))));
            }
        }
        return Optional.empty();
    }

    private static boolean noGroup(RedisCommandExecutionException e) {
        return e.getMessage() != null && e.getMessage().startsWith("NOGROUP");
    }

    private synchronized <T> T read(Function<RedisClusterCommands<String, String>, T> read) {
        try {
            if (commands == null) {
                connect();
            }
            return read.apply(commands);
        } catch (RedisCommandExecutionException e) {
            throw e; // Redis answered: not an outage
        } catch (RedisException e) {
            throw new BusUnavailableException("cannot read the inbox from Redis: " + e.getMessage(), e);
        }
    }

    private void connect() {
        if (uri.startsWith(CLUSTER_SCHEME)) {
            RedisClusterClient cluster = RedisClusterClient.create(seeds(uri.substring(CLUSTER_SCHEME.length())));
            cluster.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            client = cluster;
            StatefulRedisClusterConnection<String, String> clusterConnection = connectOrShutDown(cluster::connect);
            connection = clusterConnection;
            commands = clusterConnection.sync();
        } else {
            RedisURI target = RedisURI.create(uri);
            target.setTimeout(COMMAND_TIMEOUT);
            RedisClient standalone = RedisClient.create(target);
            standalone.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            client = standalone;
            var standaloneConnection = connectOrShutDown(standalone::connect);
            connection = standaloneConnection;
            commands = standaloneConnection.sync();
        }
    }

    /** Connects; a failed connect shuts the client down again, so the next read starts afresh. */
    private <C> C connectOrShutDown(Supplier<C> connect) {
        try {
            return connect.get();
        } catch (RuntimeException e) {
            client.shutdown();
            client = null;
            throw e;
        }
    }

    /** {@code [user:password@]h1:p1,h2:p2} as one {@code redis://} URI per seed, each with the credentials. */
    private static List<RedisURI> seeds(String rest) {
        int at = rest.lastIndexOf('@');
        String credentials = at < 0 ? "" : rest.substring(0, at + 1);
        List<RedisURI> seeds = new ArrayList<>();
        for (String node : rest.substring(at + 1).split("/")[0].split(",")) {
            RedisURI seed = RedisURI.create("redis://" + credentials + node);
            seed.setTimeout(COMMAND_TIMEOUT);
            seeds.add(seed);
        }
        return seeds;
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown();
        }
    }

    /** One entry of a band stream. */
    private record Entry(String band, EntryId id, boolean unread, Map<String, String> fields) {
        ObjectNode toJson() {
            ObjectNode json = MAPPER.createObjectNode();
            json.put("entry_id", id.toString());
            json.put("band", band);
            json.put("unread", unread);
            fields.forEach((name, value) -> {
                if (name.equals(WireFields.PAYLOAD)) {
                    try {
                        json.set(name, MAPPER.readTree(value));
                        return;
                    } catch (JsonProcessingException notJson) {
                        // shown as the text it is
                    }
                }
                json.put(name, value);
            });
            return json;
        }
    }

    /** A stream entry id, {@code <ms>-<seq>} of its append: across the bands, ids order by time. */
    private record EntryId(long millis, long sequence) implements Comparable<EntryId> {
        static EntryId of(String id) {
            int dash = id.indexOf('-');
            return dash < 0
                    ? new EntryId(Long.parseLong(id), 0)
                    : new EntryId(Long.parseLong(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1)));
        }

        @Override
        public int compareTo(EntryId other) {
            int byMillis = Long.compare(millis, other.millis);
            return byMillis != 0 ? byMillis : Long.compare(sequence, other.sequence);
        }

        @Override
        public String toString() {
            return millis + "-" + sequence;
        }
    }
}
