package io.agentbus.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.protocol.KeySchema;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry on Redis: a card is a hash {@code agent:{id}:card}, indexed by {@code agents:cards} and
 * one set per capability ({@code agents:capability:<c>}); presence is the sorted set
 * {@code agents:live} (agent -> heartbeat expiry), kept by {@code presence.lua} with every heartbeat,
 * and {@code agent:{id}:instances} (consumer -> expiry). Joins and leaves are broadcast on
 * {@code events:agents:presence}.
 */
final class RedisRegistry implements AgentRegistry {

    private static final Logger log = LoggerFactory.getLogger(RedisRegistry.class);
    private static final LuaScript PRESENCE = LuaScript.load("presence.lua");
    private static final String META = "meta.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AgentBus bus;
    private final BiFunction<String, Envelope, CompletionStage<?>> publisher;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final BusOptions options;
    /**
     * The ACL refused the live index (a per-agent user, docs/SECURITY.md): heartbeats keep only the
     * agent's own instances key, so that a refusal every few seconds does not fill ACL LOG.
     */
    private volatile boolean presenceRefused;

    /** {@code bus} carries the join and leave broadcasts. */
    /**
     * @param publisher publishes a presence event; the bus's broadcasts themselves rather than its public
     *                  {@code publish}, which refuses once the bus is closing, exactly when its instances
     *                  announce that they leave
     */
    RedisRegistry(
            AgentBus bus,
            BiFunction<String, Envelope, CompletionStage<?>> publisher,
            RedisClusterAsyncCommands<String, String> redis,
            BusOptions options) {
        this.bus = bus;
        this.publisher = publisher;
        this.redis = redis;
        this.options = options;
    }

    @Override
    public void publish(AgentCard card) {
        Objects.requireNonNull(card, "card");
        Optional<AgentCard> previous = card(card.id());
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("role", card.role());
        fields.put("version", card.version());
        fields.put("description", card.description());
        fields.put("capabilities", String.join(",", card.capabilities()));
        card.metadata().forEach((name, value) -> fields.put(META + name, value));
        String key = KeySchema.card(card.id());
        await(redis.del(key), "replace card of " + card.id());
        await(redis.hset(key, fields), "publish card of " + card.id());
        await(redis.sadd(KeySchema.CARDS, card.id().value()), "index card of " + card.id());
        previous.ifPresent(old -> old.capabilities().stream()
                .filter(c -> !card.capabilities().contains(c))
                .forEach(
                        c -> await(redis.srem(KeySchema.capability(c), card.id().value()), "unindex " + c)));
        for (String capability : card.capabilities()) {
            await(redis.sadd(KeySchema.capability(capability), card.id().value()), "index " + capability);
        }
    }

    @Override
    public void remove(AgentId agent) {
        card(agent)
                .ifPresent(card -> card.capabilities()
                        .forEach(c -> await(redis.srem(KeySchema.capability(c), agent.value()), "unindex " + c)));
        await(redis.del(KeySchema.card(agent)), "remove card of " + agent);
        await(redis.srem(KeySchema.CARDS, agent.value()), "unindex card of " + agent);
    }

    @Override
    public Optional<AgentCard> card(AgentId agent) {
        Map<String, String> fields = await(redis.hgetall(KeySchema.card(agent)), "read card of " + agent);
        return fields.isEmpty() ? Optional.empty() : Optional.of(toCard(agent, fields));
    }

    @Override
    public List<AgentCard> live() {
        return cards(liveIds());
    }

    @Override
    public List<AgentId> known() {
        return await(redis.smembers(KeySchema.KNOWN_AGENTS), "list known agents").stream()
                .sorted()
                .map(AgentId::of)
                .toList();
    }

    @Override
    public List<AgentCard> withCapability(String capability) {
        Set<String> able = await(redis.smembers(KeySchema.capability(capability)), "find " + capability);
        List<String> live = liveIds().stream().filter(able::contains).toList();
        return cards(live);
    }

    @Override
    public boolean isLive(AgentId agent) {
        Double expiry = await(redis.zscore(KeySchema.LIVE_AGENTS, agent.value()), "presence of " + agent);
        return expiry != null && expiry > serverMillis();
    }

    @Override
    public Subscription watch(Consumer<PresenceEvent> listener) {
        return bus.listen(
                KeySchema.PRESENCE_CHANNEL,
                (channel, message) -> listener.accept(new PresenceEvent(
                        AgentId.of(
                                JSON.readTree(message.payload()).path("agent").asText()),
                        message.messageType().equals("agent.joined"))));
    }

    /** One heartbeat of a running instance; also sweeps expired agents and announces joins and leaves. */
    CompletionStage<?> heartbeat(AgentId agent, String consumer) {
        long ttl = options.consumer().presenceTtl().toMillis();
        long now = System.currentTimeMillis();
        // Entries of instances that stopped heartbeating (killed, never closed) go, so the set stays the live ones.
        redis.zremrangebyscore(KeySchema.instances(agent), Range.create(Double.NEGATIVE_INFINITY, (double) now));
        redis.zadd(KeySchema.instances(agent), (double) (now + ttl), consumer);
        if (presenceRefused) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        return announce(
                PRESENCE.run(
                        redis,
                        ScriptOutputType.MULTI,
                        new String[] {KeySchema.LIVE_AGENTS},
                        agent.value(),
                        Long.toString(ttl)),
                agent);
    }

    /** An instance stopped cleanly: gone at once, and the agent with it if it was the last one. */
    CompletionStage<?> leave(AgentId agent, String consumer) {
        String instances = KeySchema.instances(agent);
        return redis.zrem(instances, consumer)
                .thenCompose(removed -> redis.zcount(
                        instances, Range.create((double) System.currentTimeMillis(), Double.POSITIVE_INFINITY)))
                .thenCompose(stillRunning -> stillRunning > 0 || presenceRefused
                        ? java.util.concurrent.CompletableFuture.completedFuture(0L)
                        : redis.zrem(KeySchema.LIVE_AGENTS, agent.value()).thenApply(gone -> {
                            if (gone > 0) {
                                publish(agent, false);
                            }
                            return gone;
                        }));
    }

    private CompletionStage<?> announce(CompletionStage<List<Object>> presence, AgentId agent) {
        return presence.thenAccept(reply -> {
                    if ((Long) reply.get(0) == 1) {
                        publish(agent, true);
                    }
                    for (Object gone : (List<?>) reply.get(1)) {
                        publish(AgentId.of(String.valueOf(gone)), false);
                    }
                })
                .whenComplete((done, failure) -> {
                    if (failure != null && RedisErrors.isPermissionDenied(failure)) {
                        // A per-agent ACL user (docs/SECURITY.md) may not write the shared live index.
                        presenceRefused = true;
                        log.warn(
                                "the ACL user may not write {}: {} is not shown live (its instances still"
                                        + " heartbeat in {}), and this process does not try again",
                                KeySchema.LIVE_AGENTS,
                                agent,
                                KeySchema.instances(agent));
                    } else if (failure != null) {
                        log.warn("heartbeat of {} failed: {}", agent, failure.toString());
                    }
                });
    }

    private void publish(AgentId agent, boolean joined) {
        publisher.apply(
                KeySchema.PRESENCE_CHANNEL,
                Envelope.builder()
                        .from("agentbus")
                        .to("everyone")
                        .type(joined ? "agent.joined" : "agent.left")
                        .payload(Map.of("agent", agent.value()))
                        .build());
    }

    private List<String> liveIds() {
        return await(
                redis.zrangebyscore(
                        KeySchema.LIVE_AGENTS, Range.create((double) serverMillis(), Double.POSITIVE_INFINITY)),
                "list live agents");
    }

    private List<AgentCard> cards(List<String> ids) {
        Map<String, CompletionStage<Map<String, String>>> pending = new HashMap<>();
        for (String id : ids) {
            pending.put(id, redis.hgetall(KeySchema.card(AgentId.of(id))));
        }
        List<AgentCard> cards = new ArrayList<>();
        for (String id : ids) {
            Map<String, String> fields = await(pending.get(id), "read card of " + id);
            cards.add(fields.isEmpty() ? AgentCard.of(AgentId.of(id), "") : toCard(AgentId.of(id), fields));
        }
        return cards;
    }

    private long serverMillis() {
        List<String> time = await(redis.time(), "read server time");
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    private static AgentCard toCard(AgentId agent, Map<String, String> fields) {
        String capabilities = fields.getOrDefault("capabilities", "");
        Set<String> skills = capabilities.isEmpty() ? Set.of() : new HashSet<>(Arrays.asList(capabilities.split(",")));
        Map<String, String> metadata = new LinkedHashMap<>();
        fields.forEach((name, value) -> {
            if (name.startsWith(META)) {
                metadata.put(name.substring(META.length()), value);
            }
        });
        return new AgentCard(
                agent, fields.get("role"), skills, fields.get("version"), fields.get("description"), metadata);
    }

    private <T> T await(CompletionStage<T> stage, String action) {
        return Await.result(stage, options.connection().commandTimeout().toMillis(), action);
    }
}
