package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.protocol.KeySchema;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.SwarmOptions;
import io.agentbus.swarm.Swarms;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * {@link Swarms} on Redis: {@code swarm:{id}:state} (hash: json, version; TTL), written only through
 * {@code swarm_write.lua}'s version check; {@code swarm:{id}:checkpoints} (stream, the 10 newest);
 * {@code swarm:{id}:coordinator} (string with TTL: the coordinator's heartbeat); {@code swarms} (index set).
 */
final class RedisSwarms implements Swarms {

    private static final LuaScript WRITE = LuaScript.load("swarm_write.lua");
    private static final int CHECKPOINTS_KEPT = 10;

    private final RedisClusterAsyncCommands<String, String> redis;
    private final BusOptions options;
    private final RedisSwarmMessenger messenger;

    RedisSwarms(RedisClusterAsyncCommands<String, String> redis, BusOptions options, RedisSwarmMessenger messenger) {
        this.redis = redis;
        this.options = options;
        this.messenger = messenger;
    }

    @Override
    public SwarmMessenger messenger() {
        return messenger;
    }

    @Override
    public Optional<State> read(String swarm) {
        Map<String, String> state = await(redis.hgetall(KeySchema.swarmState(check(swarm))), "read state of " + swarm);
        return state.isEmpty()
                ? Optional.empty()
                : Optional.of(new State(swarm, state.get("json"), Long.parseLong(state.get("version"))));
    }

    @Override
    public long write(String swarm, long expectedVersion, String json) {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expected version must be >= 0, was " + expectedVersion);
        }
        return writeVersioned(check(swarm), expectedVersion, json);
    }

    private long writeVersioned(String swarm, long expectedVersion, String json) {
        List<Object> reply = await(
                WRITE.<String, String, List<Object>>run(
                        redis,
                        ScriptOutputType.MULTI,
                        new String[] {KeySchema.swarmState(swarm)},
                        Long.toString(expectedVersion),
                        json,
                        Long.toString(SwarmOptions.STATE_TTL.toSeconds())),
                "write state of " + swarm);
        await(redis.sadd(KeySchema.SWARMS, swarm), "index swarm " + swarm);
        if ((Long) reply.get(0) == 0) {
            throw new StateConflictException(swarm, expectedVersion, (Long) reply.get(1));
        }
        return (Long) reply.get(1);
    }

    @Override
    public Checkpoint checkpoint(String swarm, String label) {
        State state = read(swarm)
                .orElseThrow(() -> new IllegalStateException("swarm " + swarm + " has no state to checkpoint"));
        String id = await(
                redis.xadd(
                        KeySchema.swarmCheckpoints(swarm),
                        XAddArgs.Builder.maxlen(CHECKPOINTS_KEPT),
                        Map.of("label", label, "version", Long.toString(state.version()), "json", state.json())),
                "checkpoint " + swarm);
        return new Checkpoint(id, swarm, label, state.version(), state.json(), Instant.ofEpochMilli(millis(id)));
    }

    @Override
    public List<Checkpoint> checkpoints(String swarm) {
        List<StreamMessage<String, String>> newestFirst = await(
                redis.xrevrange(
                        KeySchema.swarmCheckpoints(check(swarm)), Range.create("-", "+"), Limit.from(CHECKPOINTS_KEPT)),
                "read checkpoints of " + swarm);
        List<Checkpoint> checkpoints = new ArrayList<>();
        for (StreamMessage<String, String> entry : newestFirst) {
            Map<String, String> body = entry.getBody();
            checkpoints.add(new Checkpoint(
                    entry.getId(),
                    swarm,
                    body.get("label"),
                    Long.parseLong(body.get("version")),
                    body.get("json"),
                    Instant.ofEpochMilli(millis(entry.getId()))));
        }
        return checkpoints;
    }

    @Override
    public void heartbeat(String swarm, String coordinator, Duration ttl) {
        await(
                redis.set(
                        KeySchema.swarmCoordinator(check(swarm)),
                        AgentId.of(coordinator).value(),
                        SetArgs.Builder.px(ttl.toMillis())),
                "heartbeat of " + swarm);
        await(redis.sadd(KeySchema.SWARMS, swarm), "index swarm " + swarm);
    }

    @Override
    public List<Info> list() {
        List<Info> swarms = new ArrayList<>();
        for (String swarm : new TreeSet<>(await(redis.smembers(KeySchema.SWARMS), "list swarms"))) {
            show(swarm).ifPresent(swarms::add);
        }
        return swarms;
    }

    @Override
    public Optional<Info> show(String swarm) {
        Optional<State> state = read(swarm);
        List<Checkpoint> checkpoints = checkpoints(swarm);
        String coordinator = await(redis.get(KeySchema.swarmCoordinator(swarm)), "read coordinator of " + swarm);
        if (state.isEmpty() && checkpoints.isEmpty() && coordinator == null) {
            return Optional.empty(); // everything expired: nothing left to show or recover
        }
        return Optional.of(new Info(
                swarm,
                Optional.ofNullable(coordinator),
                coordinator == null,
                state,
                checkpoints.stream().findFirst()));
    }

    @Override
    public Checkpoint recover(String swarm, String coordinator, Duration ttl) {
        Info info = show(swarm).orElseThrow(() -> new IllegalStateException("no swarm " + swarm));
        if (!info.interrupted()) {
            throw new IllegalStateException("swarm " + swarm + " is not interrupted: coordinator "
                    + info.coordinator().orElse("?") + " is alive");
        }
        Checkpoint last = info.lastCheckpoint()
                .orElseThrow(() -> new IllegalStateException("swarm " + swarm + " has no checkpoint to recover from"));
        // Claim coordination first (only one recoverer wins), then restore as a new version.
        Boolean claimed = await(
                        redis.set(
                                KeySchema.swarmCoordinator(swarm),
                                AgentId.of(coordinator).value(),
                                SetArgs.Builder.nx().px(ttl.toMillis())),
                        "claim " + swarm)
                != null;
        if (!claimed) {
            throw new IllegalStateException("swarm " + swarm + " was just recovered by another coordinator");
        }
        writeVersioned(swarm, -1, last.json());
        return last;
    }

    private <T> T await(CompletionStage<T> stage, String action) {
        return Await.result(stage, options.connection().commandTimeout().toMillis(), action);
    }

    private static String check(String swarm) {
        return AgentId.of(swarm).value(); // a swarm id is a hash tag: the agent id rule
    }

    private static long millis(String entryId) {
        return Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
    }
}
