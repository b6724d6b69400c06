package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import io.agentbus.Durability;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, at start-up, what the server does with data ({@code appendonly}, {@code appendfsync},
 * {@code maxmemory-policy}, connected replicas) and compares it with what the bus promises
 * ({@link BusOptions#durability()}): a mismatch is a warning, or a refusal with
 * {@link BusOptions#strictDurability()}. An evicting memory policy is refused unless allowed:
 * an eviction deletes whole inboxes.
 *
 * <p>{@code CONFIG GET} and {@code INFO} are {@code @dangerous}: a least-privilege ACL user
 * (docs/SECURITY.md) may not run them, and then the check is a warning that says what went unverified,
 * never a refusal (unless strict durability asks for the proof).
 */
final class ServerCheck {

    private static final Logger log = LoggerFactory.getLogger(ServerCheck.class);

    private ServerCheck() {}

    /** Returns the warnings (also logged); throws if the server must be refused. */
    static List<String> verify(RedisClusterCommands<String, String> redis, BusOptions options, String uri) {
        Map<String, String> config;
        try {
            // One pattern per call: CONFIG GET takes several parameters only since Redis 7.
            config = redis.configGet("append*");
            config.putAll(redis.configGet("maxmemory*"));
        } catch (RuntimeException e) {
            String cause = RedisErrors.hasErrorCode(e, "NOPERM")
                    ? "the ACL user may not run CONFIG GET (@admin @dangerous; docs/SECURITY.md)"
                    : e.getMessage();
            String problem = "cannot read the configuration of " + uri + " (" + cause + "): durability "
                    + options.send().durability() + " and the eviction policy are not verified";
            return report(
                    List.of(problem),
                    options.send().durability() != Durability.MEMORY
                            && options.send().strictDurability());
        }
        List<String> warnings = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        checkEviction(config, options, uri, warnings, refusals);
        String shortfall = durabilityShortfall(config, options.send().durability(), redis);
        if (shortfall != null) {
            String problem = uri + " cannot honour durability " + options.send().durability() + ": " + shortfall;
            (options.send().strictDurability() ? refusals : warnings).add(problem);
        }
        if (!refusals.isEmpty()) {
            throw new AgentBusException(String.join("; ", refusals));
        }
        return report(warnings, false);
    }

    private static void checkEviction(
            Map<String, String> config, BusOptions options, String uri, List<String> warnings, List<String> refusals) {
        String policy = config.getOrDefault("maxmemory-policy", "noeviction");
        boolean limited = !"0".equals(config.getOrDefault("maxmemory", "0"));
        if (!limited || "noeviction".equals(policy)) {
            return;
        }
        if (policy.startsWith("allkeys-")) {
            String problem = uri + " has maxmemory-policy " + policy + ": an eviction would delete whole inboxes";
            if (options.connection().allowEvictingMemoryPolicy()) {
                warnings.add(problem + " (allowed by allowEvictingMemoryPolicy)");
            } else {
                refusals.add(problem + "; use noeviction, or allowEvictingMemoryPolicy(true) to run anyway");
            }
        } else {
            warnings.add(uri + " has maxmemory-policy " + policy
                    + ": dedup and idempotency markers (keys with a TTL) can be evicted early");
        }
    }

    private static String durabilityShortfall(
            Map<String, String> config, Durability durability, RedisClusterCommands<String, String> redis) {
        boolean aof = "yes".equals(config.get("appendonly"));
        String fsync = config.getOrDefault("appendfsync", "everysec");
        switch (durability.mode()) {
            case AOF_EVERYSEC:
                return aof ? null : "appendonly is no";
            case AOF_ALWAYS:
                if (!aof) {
                    return "appendonly is no";
                }
                return "always".equals(fsync) ? null : "appendfsync is " + fsync + ", not always";
            case WAIT:
                long replicas;
                try {
                    replicas = connectedReplicas(redis.info("replication"));
                } catch (RedisException e) {
                    return "its replicas cannot be counted (INFO replication: " + e.getMessage() + ")";
                }
                return replicas >= durability.replicas()
                        ? null
                        : "it has " + replicas + " connected replicas, fewer than " + durability.replicas();
            default:
                return null; // MEMORY promises nothing beyond the server's memory
        }
    }

    private static long connectedReplicas(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("connected_slaves:")) {
                return Long.parseLong(
                        line.substring("connected_slaves:".length()).trim());
            }
        }
        return 0;
    }

    private static List<String> report(List<String> problems, boolean refuse) {
        if (refuse) {
            throw new AgentBusException(String.join("; ", problems));
        }
        problems.forEach(problem -> log.warn("{}", problem));
        return List.copyOf(problems);
    }
}
