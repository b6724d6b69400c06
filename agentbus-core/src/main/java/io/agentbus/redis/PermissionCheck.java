package io.agentbus.redis;

import io.agentbus.BusPermissionException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at connect that the ACL user may run what the bus will run, and names what it may not.
 *
 * <p>How: probes, not {@code ACL DRYRUN}. {@code ACL DRYRUN} is {@code @admin @dangerous}, so the
 * least-privilege user of docs/SECURITY.md may not run it for itself, and it does not exist before
 * Redis 7. A probe is the command itself, sent so that Redis checks the ACL (which it does before
 * running a command, right after the arity) and then refuses or does nothing: against a throwaway
 * string key {@code agent:{agentbus-acl-probe}:probe:<random>} (set first, with a one-minute expiry,
 * deleted last) a stream, hash, set or sorted-set command fails with {@code WRONGTYPE}; the others get an
 * argument that fails before any write ({@code ZADD key notanumber}) or a key that does not exist. A
 * {@code NOPERM} reply means refused; any other reply or error means allowed. Each key family of
 * docs/PROTOCOL.md is probed for read ({@code EXISTS}) and write ({@code DEL} of a throwaway key), the
 * broadcast commands and channels on a short-lived pub/sub connection.
 *
 * <p>What then: a process that only sends, or only reads (the CLI, the dashboard), must be able to
 * start under its narrower rule, so a missing permission does not refuse the connect. Each feature
 * that lacks one gets a warning naming every missing command, key pattern and channel (also in
 * {@code AgentBus.serverWarnings()}), and the feature itself is refused at first use: subscribing
 * throws {@link BusPermissionException} before anything is read ({@link #requireConsuming}).
 * The one refusal at connect is {@code WAIT} when the bus promises WAIT durability.
 */
final class PermissionCheck {

    private static final Logger log = LoggerFactory.getLogger(PermissionCheck.class);

    /** What a process may do; each probe belongs to the first feature that needs it. */
    enum Feature {
        SENDING("sending", "sends fail"),
        CONSUMING("consuming", "subscribe and serve are refused"),
        TOPICS("durable topics", "topic publishes and subscriptions fail"),
        SWARMS("swarms", "swarm state, events and messages fail"),
        BROADCASTS("broadcasts", "publish and listen fail"),
        WAKE_UPS("prompt wake-ups", "a new subscription waits up to readBlock for its first read"),
        WAIT_DURABILITY("WAIT durability", "sends cannot wait for replicas");

        final String label;
        final String effect;

        Feature(String label, String effect) {
            this.label = label;
            this.effect = effect;
        }
    }

    static final String PROBE_TAG = "agentbus-acl-probe";
    /**
     * The throwaway keys' prefix; each check adds a random suffix, so that two processes starting at
     * once never probe one key: a check that met a key another had just deleted would create it with
     * its HSET or SADD probe, and nothing would expire it.
     */
    static final String PROBE_KEY_PREFIX = "agent:{" + PROBE_TAG + "}:probe:";

    private static final String PROBE_CHANNEL = "events:" + PROBE_TAG;

    private final Map<Feature, Set<String>> missing;
    private final String user;

    private PermissionCheck(Map<Feature, Set<String>> missing, String user) {
        this.missing = missing;
        this.user = user;
    }

    /** A check that found nothing missing (no ACL to check, e.g. a test double). */
    static PermissionCheck passed() {
        return new PermissionCheck(new EnumMap<>(Feature.class), "default");
    }

    /**
     * Probes the permissions of {@code user} on {@code redis} (the command connection) and, for the
     * broadcast commands, on a pub/sub connection from {@code pubSub}, closed before returning.
     */
    static PermissionCheck run(
            RedisClusterAsyncCommands<String, String> redis,
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSub,
            String user,
            boolean waitDurability,
            long timeoutMillis) {
        Map<Feature, Set<String>> missing = new EnumMap<>(Feature.class);
        String probeKey = PROBE_KEY_PREFIX
                + Long.toHexString(
                        java.util.concurrent.ThreadLocalRandom.current().nextLong());
        List<Probe> probes = probes(waitDurability, probeKey);
        List<CompletionStage<List<Object>>> replies = new ArrayList<>(probes.size());
        for (Probe probe : probes) {
            replies.add(redis.dispatch(probe.type(), new NestedMultiOutput<>(StringCodec.UTF8), probe.args()));
        }
        for (int i = 0; i < probes.size(); i++) {
            Probe probe = probes.get(i);
            String refusal = refusal(replies.get(i), timeoutMillis);
            if (refusal != null) {
                String what = refusal.contains("channel")
                        ? "channels " + probe.keyPattern()
                        : refusal.contains("keys") ? "keys " + probe.keyPattern() : probe.name();
                missing.computeIfAbsent(probe.feature(), f -> new LinkedHashSet<>())
                        .add(what);
            }
        }
        probePubSub(pubSub, missing, timeoutMillis);
        return new PermissionCheck(missing, user);
    }

    /** The ACL user {@code uri} logs in as: {@code default} when it names none. */
    static String user(RedisURI uri) {
        try {
            RedisCredentials credentials =
                    uri.getCredentialsProvider().resolveCredentials().block();
            return credentials == null || !credentials.hasUsername() ? "default" : credentials.getUsername();
        } catch (RuntimeException e) {
            return "default"; // a provider that fetches credentials lazily: the name only labels warnings
        }
    }

    /** The warnings, one per feature that lacks a permission: which, and what fails for want of it. */
    List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        missing.forEach((feature, what) -> warnings.add("the ACL user '" + user + "' lacks permissions for "
                + feature.label + " (" + feature.effect + "): " + String.join(", ", what)
                + "; docs/SECURITY.md gives the rules"));
        return warnings;
    }

    /** Whether WAIT durability was promised and {@code WAIT} is refused: the one refusal at connect. */
    BusPermissionException refusal() {
        Set<String> wait = missing.get(Feature.WAIT_DURABILITY);
        return wait == null
                ? null
                : new BusPermissionException(
                        "the bus promises WAIT durability but the ACL user '" + user + "' may not run WAIT",
                        List.copyOf(wait),
                        null);
    }

    /** Throws, naming every missing permission, unless the user may send and consume. */
    void requireConsuming(String what) {
        List<String> lacking = new ArrayList<>();
        lacking.addAll(missing.getOrDefault(Feature.SENDING, Set.of()));
        lacking.addAll(missing.getOrDefault(Feature.CONSUMING, Set.of()));
        if (!lacking.isEmpty()) {
            throw new BusPermissionException(
                    "cannot " + what + ": the ACL user '" + user + "' may not " + String.join(", ", lacking)
                            + " (docs/SECURITY.md gives the rules)",
                    lacking,
                    null);
        }
    }

    /** The NOPERM message of a refused probe, or null when Redis let it through. */
    private static String refusal(CompletionStage<List<Object>> reply, long timeoutMillis) {
        try {
            reply.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking ACL permissions", e);
        } catch (java.util.concurrent.ExecutionException e) {
            String message = e.getCause() == null ? null : e.getCause().getMessage();
            return message != null && message.startsWith("NOPERM") ? message : null;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new io.agentbus.BusUnavailableException("the ACL permission check timed out", e);
        }
    }

    private static void probePubSub(
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSub,
            Map<Feature, Set<String>> missing,
            long timeoutMillis) {
        StatefulRedisPubSubConnection<String, String> connection;
        try {
            connection = pubSub.get();
        } catch (RedisException e) {
            // CLIENT SETNAME on the new connection, say: the other probes name what is missing.
            log.debug("no pub/sub connection for the ACL check: {}", e.toString());
            return;
        }
        try {
            var commands = connection.async();
            List<String> names = List.of("SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE");
            List<CompletionStage<Void>> replies = List.of(
                    commands.subscribe(PROBE_CHANNEL),
                    commands.psubscribe(PROBE_CHANNEL + ":*"),
                    commands.unsubscribe(PROBE_CHANNEL),
                    commands.punsubscribe(PROBE_CHANNEL + ":*"));
            for (int i = 0; i < replies.size(); i++) {
                String refusal = refusal(replies.get(i).thenApply(done -> List.of()), timeoutMillis);
                if (refusal != null) {
                    missing.computeIfAbsent(Feature.BROADCASTS, f -> new LinkedHashSet<>())
                            .add(refusal.contains("channel") ? "channels events:*" : names.get(i));
                }
            }
        } finally {
            connection.close();
        }
    }

    /** One probe: a command of {@code feature}, named as ACL rules name it. */
    private record Probe(
            Feature feature, String name, String keyPattern, CommandType type, CommandArgs<String, String> args) {}

    private static List<Probe> probes(boolean waitDurability, String key) {
        List<Probe> probes = new ArrayList<>();
        // First: the throwaway string key the other probes of the agent family meet as WRONGTYPE.
        probes.add(probe(Feature.SENDING, "SET", "agent:*", CommandType.SET, key, "probe", "PX", "60000"));
        probes.add(probe(
                Feature.SENDING,
                "EVALSHA",
                "agent:*",
                CommandType.EVALSHA,
                null,
                "0000000000000000000000000000000000000000",
                "1",
                key));
        probes.add(probe(Feature.SENDING, "EVAL", "agent:*", CommandType.EVAL, null, "return 0", "1", key));
        probes.add(probe(Feature.SENDING, "TIME", null, CommandType.TIME, null));
        probes.add(probe(Feature.SENDING, "TYPE", "agent:*", CommandType.TYPE, key));
        probes.add(probe(Feature.SENDING, "EXISTS", "agent:*", CommandType.EXISTS, key));
        probes.add(probe(Feature.SENDING, "GET", "agent:*", CommandType.GET, key));
        probes.add(probe(Feature.SENDING, "XADD", "agent:*", CommandType.XADD, key, "NOMKSTREAM", "*", "f", "v"));
        probes.add(probe(Feature.SENDING, "XLEN", "agent:*", CommandType.XLEN, key));
        probes.add(probe(Feature.SENDING, "XINFO|GROUPS", "agent:*", CommandType.XINFO, null, "GROUPS", key));
        probes.add(
                probe(Feature.SENDING, "XGROUP|CREATE", "agent:*", CommandType.XGROUP, null, "CREATE", key, "g", "$"));
        probes.add(probe(Feature.SENDING, "HINCRBY", "agent:*", CommandType.HINCRBY, key, "f", "notanumber"));
        probes.add(probe(Feature.SENDING, "SADD", "agent:*", CommandType.SADD, key, "m"));
        probes.add(probe(Feature.SENDING, "ZADD", "agent:*", CommandType.ZADD, key, "notanumber", "m"));
        probes.add(probe(Feature.SENDING, "HGETALL", "agent:*", CommandType.HGETALL, key));
        probes.add(probe(Feature.SENDING, "ZSCORE", "agent:*", CommandType.ZSCORE, key, "m"));
        probes.add(probe(
                Feature.CONSUMING,
                "XREADGROUP",
                "agent:*",
                CommandType.XREADGROUP,
                null,
                "GROUP",
                "g",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                key,
                ">"));
        probes.add(probe(Feature.CONSUMING, "XACK", "agent:*", CommandType.XACK, key, "g", "0-1"));
        probes.add(
                probe(Feature.CONSUMING, "XAUTOCLAIM", "agent:*", CommandType.XAUTOCLAIM, key, "g", "c", "0", "0-0"));
        probes.add(probe(Feature.CONSUMING, "XCLAIM", "agent:*", CommandType.XCLAIM, key, "g", "c", "0", "0-1"));
        probes.add(probe(Feature.CONSUMING, "XPENDING", "agent:*", CommandType.XPENDING, key, "g"));
        probes.add(probe(Feature.CONSUMING, "XRANGE", "agent:*", CommandType.XRANGE, key, "-", "+", "COUNT", "1"));
        probes.add(
                probe(Feature.CONSUMING, "XREVRANGE", "agent:*", CommandType.XREVRANGE, key, "+", "-", "COUNT", "1"));
        probes.add(probe(Feature.CONSUMING, "XTRIM", "agent:*", CommandType.XTRIM, key, "MAXLEN", "1000000"));
        probes.add(probe(Feature.CONSUMING, "XDEL", "agent:*", CommandType.XDEL, key, "0-1"));
        probes.add(probe(
                Feature.CONSUMING,
                "XGROUP|CREATECONSUMER",
                "agent:*",
                CommandType.XGROUP,
                null,
                "CREATECONSUMER",
                key,
                "g",
                "c"));
        probes.add(probe(
                Feature.CONSUMING,
                "XGROUP|DELCONSUMER",
                "agent:*",
                CommandType.XGROUP,
                null,
                "DELCONSUMER",
                key,
                "g",
                "c"));
        probes.add(
                probe(Feature.CONSUMING, "XINFO|CONSUMERS", "agent:*", CommandType.XINFO, null, "CONSUMERS", key, "g"));
        probes.add(probe(Feature.CONSUMING, "HGET", "agent:*", CommandType.HGET, key, "f"));
        probes.add(probe(Feature.CONSUMING, "HSET", "agent:*", CommandType.HSET, key, "f", "v"));
        probes.add(probe(Feature.CONSUMING, "HSETNX", "agent:*", CommandType.HSETNX, key, "f", "v"));
        probes.add(probe(Feature.CONSUMING, "HDEL", "agent:*", CommandType.HDEL, key, "f"));
        probes.add(probe(Feature.CONSUMING, "SMEMBERS", "agent:*", CommandType.SMEMBERS, key));
        probes.add(probe(Feature.CONSUMING, "SREM", "agent:*", CommandType.SREM, key, "m"));
        probes.add(probe(Feature.CONSUMING, "ZRANGE", "agent:*", CommandType.ZRANGE, key, "0", "0"));
        probes.add(probe(Feature.CONSUMING, "ZRANGEBYSCORE", "agent:*", CommandType.ZRANGEBYSCORE, key, "0", "0"));
        probes.add(probe(Feature.CONSUMING, "ZREM", "agent:*", CommandType.ZREM, key, "m"));
        probes.add(
                probe(Feature.CONSUMING, "ZREMRANGEBYSCORE", "agent:*", CommandType.ZREMRANGEBYSCORE, key, "1", "0"));
        probes.add(probe(Feature.CONSUMING, "ZCARD", "agent:*", CommandType.ZCARD, key));
        probes.add(probe(Feature.CONSUMING, "ZCOUNT", "agent:*", CommandType.ZCOUNT, key, "0", "0"));
        probes.add(probe(Feature.CONSUMING, "EXPIRE", "agent:*", CommandType.EXPIRE, key, "60"));
        probes.add(probe(Feature.CONSUMING, "PEXPIRE", "agent:*", CommandType.PEXPIRE, key, "60000"));
        probes.add(probe(Feature.CONSUMING, "CLIENT|ID", null, CommandType.CLIENT, null, "ID"));
        probes.add(probe(Feature.WAKE_UPS, "CLIENT|UNBLOCK", null, CommandType.CLIENT, null, "UNBLOCK", "0"));
        probes.add(probe(Feature.BROADCASTS, "PUBLISH", "events:*", CommandType.PUBLISH, null, PROBE_CHANNEL, "probe"));
        if (waitDurability) {
            probes.add(probe(Feature.WAIT_DURABILITY, "WAIT", null, CommandType.WAIT, null, "0", "0"));
        }
        // Each key family: read with EXISTS, write with DEL of a key nobody uses.
        families(probes, Feature.SENDING, "agents:*", "agents:" + PROBE_TAG);
        families(probes, Feature.SENDING, "audit:*", "audit:messages:{" + PROBE_TAG + "}");
        families(probes, Feature.TOPICS, "topic:*", "topic:{" + PROBE_TAG + "}");
        families(probes, Feature.SWARMS, "swarm:*", "swarm:{" + PROBE_TAG + "}:probe");
        families(probes, Feature.SWARMS, "event:*", "event:{" + PROBE_TAG + "}:probe");
        families(probes, Feature.SWARMS, "message:*", "message:" + PROBE_TAG + ":{" + PROBE_TAG + "}");
        probes.add(probe(Feature.SWARMS, "EXISTS", "swarms", CommandType.EXISTS, "swarms"));
        probes.add(probe(Feature.SWARMS, "SREM", "swarms", CommandType.SREM, "swarms", "\u0000" + PROBE_TAG));
        // Last: the throwaway key goes (DEL is what purges dead letters).
        probes.add(probe(Feature.CONSUMING, "DEL", "agent:*", CommandType.DEL, key));
        return probes;
    }

    private static void families(List<Probe> probes, Feature feature, String pattern, String key) {
        probes.add(probe(feature, "EXISTS", pattern, CommandType.EXISTS, key));
        probes.add(probe(feature, "DEL", pattern, CommandType.DEL, key));
    }

    /** A probe whose first argument is {@code key} (or, with key null, whose arguments are all in {@code rest}). */
    private static Probe probe(
            Feature feature, String name, String keyPattern, CommandType type, String key, String... rest) {
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8);
        if (key != null) {
            args.addKey(key);
        }
        for (String arg : rest) {
            if (arg.startsWith(PROBE_KEY_PREFIX)) {
                args.addKey(arg); // routes the probe to the key's slot on a cluster
            } else {
                args.add(arg);
            }
        }
        return new Probe(feature, name.toUpperCase(Locale.ROOT), keyPattern, type, args);
    }
}
