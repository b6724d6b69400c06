package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.KeySchema;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable topic: a stream ({@code topic:{name}}, or {@code event:{swarm}:<type>} for a durable swarm
 * event type) with one consumer group per subscriber group, read and settled by the same
 * subscriptions, readers and scripts as an inbox ({@link ConsumedStream}). Retention runs
 * {@code trim.lua}, which never removes what a group has not received or holds.
 */
final class RedisDurableTopic implements DurableTopic {

    private static final Logger log = LoggerFactory.getLogger(RedisDurableTopic.class);

    private final String name;
    private final String key;
    private final Retention retention;
    private final Sender sender;
    private final ReaderLanes lanes;
    private final StreamScripts scripts;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final BusOptions options;
    private final AtomicLong publishes = new AtomicLong();

    RedisDurableTopic(
            String name,
            String key,
            Retention retention,
            Sender sender,
            ReaderLanes lanes,
            StreamScripts scripts,
            RedisClusterAsyncCommands<String, String> commands,
            BusOptions options) {
        this.name = name;
        this.key = key;
        this.retention = retention;
        this.sender = sender;
        this.lanes = lanes;
        this.scripts = scripts;
        this.commands = commands;
        this.options = options;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<SendReceipt> publish(Envelope envelope) {
        CompletionStage<SendReceipt> stored =
                sender.append(key, KeySchema.streamDedup(key, envelope.messageId()), envelope, "", 0, null);
        if (publishes.incrementAndGet() % StreamScripts.TRIM_EVERY == 0) {
            trimAsync().whenComplete((removed, failure) -> {
                if (failure != null) {
                    log.warn("could not trim {}: {}", key, failure.toString());
                }
            });
        }
        return stored;
    }

    @Override
    public Subscription subscribe(AgentId group, StartFrom from, MessageHandler handler) {
        return subscribe(group, from, options.delivery(), handler);
    }

    @Override
    public Subscription subscribe(AgentId group, StartFrom from, DeliveryOptions delivery, MessageHandler handler) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(from, "from");
        return lanes.start(group, group.value(), List.of(ConsumedStream.topic(key, group, from)), delivery, handler);
    }

    @Override
    public long trim() {
        return Await.result(trimAsync(), options.connection().commandTimeout().toMillis(), "trim " + key);
    }

    @Override
    public DeadLetters deadLetters(AgentId group) {
        return new RedisDeadLetters(
                ConsumedStream.topic(key, Objects.requireNonNull(group, "group"), StartFrom.OLDEST),
                commands,
                scripts,
                options);
    }

    private CompletionStage<Long> trimAsync() {
        return scripts.trim(key, retention);
    }

    @Override
    public String toString() {
        return "DurableTopic{" + key + ", " + retention + '}';
    }
}
