package io.agentbus.protocol;

import io.agentbus.AgentId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The Redis ACL user of one agent (docs/adr/0003-per-agent-acl-users.md): {@code agent-<id>}, which may
 * run the bus's consume path on that agent's own keys and touches no key of another agent. Public for
 * {@code agentbus acl provision} and for tools that provision users their own way.
 *
 * <p>What it allows: read, claim, retry, dead-letter and acknowledge the agent's own inbox bands
 * ({@code agent:{id}:*}), with the audit records of its own slot ({@code audit:messages:{id}},
 * {@code audit:decisions:{id}}). What it does not: any key of another agent (sending to another agent
 * runs send.lua on the recipient's keys, so it is refused: per-agent users receive only, until a
 * router moves messages from per-agent outboxes), the shared indexes ({@code agents:*},
 * {@code audit:shards}: presence, the known-agents index and audit-shard index stay unwritten, so the
 * agent shows as not live), channels, and every {@code @dangerous} command.
 *
 * <p>Key patterns need Redis 7.0 ({@code %RW~}), as does {@code ACL DRYRUN}, which the provisioning
 * uses to verify the user it created; {@link #MINIMUM_REDIS} is refused below.
 */
public final class AgentAclRule {

    /** The oldest Redis a per-agent user can be provisioned on. */
    public static final RedisVersion MINIMUM_REDIS = new RedisVersion(7, 0, 0);

    /** The prefix of every per-agent user name: {@code agent-<id>}. */
    public static final String USER_PREFIX = "agent-";

    /**
     * The commands of the consume path (subscribe, serve, retries, dead letters, delayed messages,
     * idempotent handlers), each fenced by the key patterns; nothing {@code @dangerous}.
     */
    public static final List<String> COMMANDS = List.of(
            "+client|id",
            "+client|setname",
            "+evalsha",
            "+eval",
            "+time",
            "+type",
            "+exists",
            "+get",
            "+set",
            "+del",
            "+expire",
            "+pexpire",
            "+hget",
            "+hgetall",
            "+hset",
            "+hsetnx",
            "+hdel",
            "+hincrby",
            "+sadd",
            "+srem",
            "+smembers",
            "+zadd",
            "+zrem",
            "+zrange",
            "+zrangebyscore",
            "+zremrangebyscore",
            "+zscore",
            "+zcard",
            "+zcount",
            "+xadd",
            "+xlen",
            "+xrange",
            "+xrevrange",
            "+xtrim",
            "+xdel",
            "+xreadgroup",
            "+xack",
            "+xautoclaim",
            "+xclaim",
            "+xpending",
            "+xgroup|create",
            "+xgroup|createconsumer",
            "+xgroup|delconsumer",
            "+xinfo|groups",
            "+xinfo|consumers");

    /**
     * The throwaway keys that the bus's start-up permission check probes (PermissionCheck in
     * io.agentbus.redis): without them the check finds nothing allowed and subscribing is refused.
     * They hold a probe value for at most a minute; every per-agent user shares them (see the ADR).
     */
    static final List<String> PROBE_KEYS = List.of(
            "%RW~agent:{agentbus-acl-probe}:probe:*",
            "%RW~agents:agentbus-acl-probe", "%RW~audit:messages:{agentbus-acl-probe}");

    private AgentAclRule() {}

    /** The ACL user name of {@code agent}: {@code agent-<id>}. */
    public static String userName(AgentId agent) {
        return USER_PREFIX + agent.value();
    }

    /** The key patterns of {@code agent}'s user: its own keys and its slot's audit streams, then the probe keys. */
    public static List<String> keyPatterns(AgentId agent) {
        List<String> patterns = new ArrayList<>();
        patterns.add("%RW~agent:{" + agent.value() + "}:*");
        patterns.add("%RW~" + KeySchema.auditMessages(agent.value()));
        patterns.add("%RW~" + KeySchema.auditDecisions(agent.value()));
        patterns.addAll(PROBE_KEYS);
        return patterns;
    }

    /**
     * The arguments of {@code ACL SETUSER} for {@code agent}, after {@code SETUSER}: the user name,
     * {@code reset} (a re-provisioned user keeps nothing of before, not even an old password), {@code on},
     * the password as its SHA-256 ({@code #<hex>}, so that the line can be printed and logged), no channel
     * and no command but {@link #COMMANDS}, and the {@link #keyPatterns}.
     */
    public static List<String> setUserArguments(AgentId agent, String passwordSha256) {
        if (passwordSha256 == null || !passwordSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("passwordSha256 must be 64 lower-case hex digits, was "
                    + (passwordSha256 == null ? null : "other"));
        }
        List<String> args = new ArrayList<>();
        args.add(userName(agent));
        args.add("reset");
        args.add("on");
        args.add("#" + passwordSha256);
        args.add("resetchannels");
        args.add("-@all");
        args.addAll(COMMANDS);
        args.addAll(keyPatterns(agent));
        return args;
    }

    /** The SHA-256 of {@code password} in lower-case hex, as {@code ACL SETUSER ... #<hash>} takes it. */
    public static String sha256(String password) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
