package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.BusUnavailableException;
import io.agentbus.Durability;
import io.agentbus.Envelope;
import io.agentbus.InboxFullException;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.NotReplicatedException;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.SendReceipt;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The send path: payload check, admission (at most {@link BusOptions#requestQueueSize()} sends
 * waiting for Redis), the optional live-recipient check, {@code send_batch.lua} (dedup, cap, append,
 * audit, counters in one script, for every send that queued behind the call in flight: {@link SendBatches};
 * delayed sends too, as schedule.lua would store them), and {@code WAIT} for {@link Durability.Mode#WAIT}.
 */
final class Sender {

    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    private final Connections connections;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final StreamScripts scripts;
    private final BusOptions options;
    private final BusMetrics metrics;
    private final Tracing tracing;
    private final MessageSignatures signatures;
    private final SendBatches batches;
    /** Agents this bus has added to {@link KeySchema#KNOWN_AGENTS}: one SADD per agent per process. */
    private final Set<AgentId> knownAgents = ConcurrentHashMap.newKeySet();

    Sender(
            Connections connections,
            StreamScripts scripts,
            BusOptions options,
            Tracing tracing,
            ScheduledExecutorService timer) {
        this.connections = connections;
        this.commands = connections.commands();
        this.scripts = scripts;
        this.options = options;
        this.metrics = connections.metrics();
        this.tracing = tracing;
        this.signatures = new MessageSignatures(options.signing());
        this.batches = new SendBatches(
                this::call,
                connections.sendConnection().isCluster(),
                options.send().dedupWindow().toMillis(),
                options.auditCap(),
                timer,
                sendTimeout(options));
    }

    /** Sends to {@code envelope}'s recipient's inbox, in the band of its priority. */
    CompletionStage<SendReceipt> send(Envelope envelope) {
        checkPayload(envelope); // before know(): a refused send writes nothing, the index included
        know(envelope.toAgent());
        return sendReply(envelope);
    }

    /**
     * Sends a handler's reply: as {@link #send}, but without indexing the recipient in
     * {@link KeySchema#KNOWN_AGENTS}. A reply goes to a requester, which must run an instance of itself
     * to request at all, and that subscription indexed it already, unless the requester is temporary
     * ({@code DeliveryOptions.expireAfter}), which must not be listed: its keys expire.
     */
    CompletionStage<SendReceipt> sendReply(Envelope envelope) {
        checkPayload(envelope); // before the presence lookup of whenLive
        return whenLive(
                envelope.toAgent(),
                () -> append(
                        PriorityBand.of(envelope.priority()).inbox(envelope.toAgent()),
                        KeySchema.dedup(envelope.toAgent(), envelope.messageId()),
                        envelope,
                        "",
                        options.send().maxInboxLength(),
                        null));
    }

    /**
     * Sends a request: as {@link #send}, but refused with {@link RecipientUnavailableException} ({@code NO_RESPONDERS}) when the
     * recipient's inbox has no consumer group (it never had a running instance).
     */
    CompletionStage<SendReceipt> sendRequest(Envelope request) {
        checkPayload(request);
        AgentId to = request.toAgent();
        return whenLive(
                to,
                () -> append(
                        PriorityBand.of(request.priority()).inbox(to),
                        KeySchema.dedup(to, request.messageId()),
                        request,
                        KeySchema.INBOX_GROUP,
                        options.send().maxInboxLength(),
                        null));
    }

    /**
     * Schedules {@code untraced} for delivery at {@code deliverAt}: into the recipient's delayed set, which
     * move_due.lua empties into the inbox (schedule.lua's step, in a send_batch.lua call).
     */
    CompletionStage<SendReceipt> send(Envelope untraced, Instant deliverAt) {
        checkPayload(untraced);
        know(untraced.toAgent());
        AgentId to = untraced.toAgent();
        return store(
                untraced,
                fields -> SendBatches.Message.of(
                        new SendBatches.Destination(
                                KeySchema.delayed(to), null, KeySchema.counters(to), null, "", 0, "", ""),
                        KeySchema.dedup(to, untraced.messageId()),
                        deliverAt.toEpochMilli(),
                        fields),
                "schedule " + untraced.messageId() + " for " + to + " at " + deliverAt);
    }

    /** Runs {@code step}, first checking the recipient is live if {@link BusOptions#requireLiveRecipient()}. */
    private <T> CompletionStage<T> whenLive(AgentId to, Supplier<CompletionStage<T>> step) {
        if (!options.send().requireLiveRecipient()) {
            return step.get();
        }
        return RedisErrors.mapped(commands.zscore(KeySchema.LIVE_AGENTS, to.value()), "check presence of " + to)
                .thenCompose(expiry -> {
                    if (expiry == null || expiry <= System.currentTimeMillis()) {
                        throw RecipientUnavailableException.noLiveInstance(to);
                    }
                    return step.get();
                });
    }

    /**
     * The receiving side of a swarm message stream, which send.lua sets up with the message: the index
     * {@code receivers.index()} gets {@code receivers.sender()}, and the stream gets the group
     * {@code receivers.group()} if it has none (see {@link RedisSwarmMessenger}).
     */
    record Receivers(String index, String sender, String group) {}

    /**
     * Appends {@code untraced} to {@code stream} once per message id within the dedup window
     * (send.lua); with a {@code requiredGroup}, only if the stream has that consumer group; with
     * {@code receivers} (or null), sets those up too.
     */
    CompletionStage<SendReceipt> append(
            String stream,
            String dedupKey,
            Envelope untraced,
            String requiredGroup,
            long maxLength,
            Receivers receivers) {
        checkPayload(untraced); // every path to send.lua: topic publishes and swarm messages too
        return store(
                untraced,
                fields -> SendBatches.Message.of(
                        new SendBatches.Destination(
                                stream,
                                scripts.auditShard(stream),
                                KeySchema.counters(stream),
                                receivers == null ? null : receivers.index(),
                                requiredGroup,
                                maxLength,
                                receivers == null ? "" : receivers.sender(),
                                receivers == null ? "" : receivers.group()),
                        dedupKey,
                        null,
                        fields),
                "send " + untraced.messageId() + " to " + stream);
    }

    /**
     * Stores one message with the next batch of its server ({@link SendBatches}): traces and signs it,
     * refuses it when {@link BusOptions#requestQueueSize()} sends already wait for Redis, and turns the
     * script's reply for it into its receipt or its typed failure ({@code what} names the step in errors).
     */
    private CompletionStage<SendReceipt> store(
            Envelope untraced, Function<Map<String, String>, SendBatches.Message> message, String what) {
        Tracing.Sending sending = tracing.sending(untraced);
        Envelope envelope = sending.envelope();
        Map<String, String> fields;
        try {
            fields = signatures.sign(EnvelopeCodec.encode(envelope), envelope.fromAgent());
        } catch (RuntimeException e) {
            sending.ended(e);
            throw e;
        }
        if (fields.size() > WireFields.MAX_FIELDS) {
            // Refused here, alone: in a batch it would fail the other messages of the call too.
            InvalidEnvelopeException refused = new InvalidEnvelopeException(
                    "extensions",
                    Integer.toString(envelope.extensions().size()),
                    "a message has at most " + WireFields.MAX_FIELDS + " fields, this one " + fields.size());
            sending.ended(refused);
            throw refused;
        }
        ConnectionWatch watch = connections.watch();
        if (!watch.tryStartSend(options.connection().requestQueueSize())) {
            throw new BusUnavailableException(
                    what + " refused: " + options.connection().requestQueueSize()
                            + " sends are already waiting for Redis (requestQueueSize)",
                    null);
        }
        SendBatches.Message stored = message.apply(fields);
        CompletionStage<SendBatches.Reply> reply = batches.submit(stored);
        reply.whenComplete((result, failure) -> watch.sendEnded());
        Durability durability = options.send().durability();
        CompletionStage<SendReceipt> receipt = reply.thenApply(outcome -> {
            if (outcome.outcome() == -3) {
                throw new RedisCommandExecutionException(outcome.value());
            }
            if (outcome.outcome() == -1) {
                throw RecipientUnavailableException.noResponders(envelope.toAgent());
            }
            if (outcome.outcome() == -2) {
                throw new InboxFullException(envelope.toAgent(), stored.to().maxLength());
            }
            boolean duplicate = outcome.outcome() == 0;
            countSend(envelope.toAgent(), envelope, duplicate);
            if (durability.mode() == Durability.Mode.WAIT && outcome.replicas() < durability.replicas()) {
                throw new NotReplicatedException(envelope.messageId(), durability.replicas(), outcome.replicas());
            }
            return new SendReceipt(envelope.messageId(), envelope.toAgent(), outcome.value(), duplicate);
        });
        return RedisErrors.mapped(receipt, what).whenComplete((sent, failure) -> sending.ended(failure));
    }

    /**
     * Runs one batch of sends ({@link SendBatches.Call}), and with {@code wait:N} WAIT behind it.
     *
     * <p>With WAIT, both go to the connection of the master of {@code stream}'s slot: WAIT counts the
     * replicas of the node it runs on, so the script goes there too, with WAIT pipelined right behind it so
     * that it covers the script's write. On a cluster that connection is a node's own, on which Lettuce does
     * not follow redirections nor learn that the slot moved: after a failover it is the dead master's (every
     * command "not connected"), after a slot migration the old owner's (every command {@code MOVED}), and the
     * topology view stays stale until the next periodic refresh (30 s), so without this every durable send to
     * the slot failed meanwhile and the caller saw the redirection. So when the owner may have changed
     * ({@link RedisLink#ownerMayHaveChanged}), the topology is read again and the send retried on the
     * current owner, with a short backoff (a slot half migrated answers {@code ASK}/{@code TRYAGAIN} for a
     * few milliseconds), until the command timeout has passed. Sending again is safe: send_batch.lua
     * stores a message id once.
     *
     * <p>Without WAIT the script is routed through the cluster connection, which follows {@code MOVED} and
     * {@code ASK} itself but not {@code TRYAGAIN}: while a slot is half migrated (the stream moved, the new
     * dedup key not yet there) the batch's keys are on two nodes and each answers {@code TRYAGAIN}
     * (ClusterMigrationIT: a few sends per migration reached the caller). Nor does it wait for a node: a
     * send to the slots of a master that died is refused at once, and so is the first send to the replica
     * that took them over while Lettuce connects to it (ClusterConnectionStateIT). Those are sent again the
     * same way, so on a cluster a send rides through a failover that ends within the command timeout,
     * whatever {@link io.agentbus.ConnectionOptions#disconnectedSends()} says.
     */
    private CompletionStage<SendBatches.Stored> call(String stream, SendBatches.Call call) {
        RedisLink<String, String> link = connections.sendConnection();
        Durability durability = options.send().durability();
        CompletableFuture<SendBatches.Stored> result = new CompletableFuture<>();
        long deadline =
                System.nanoTime() + options.connection().commandTimeout().toNanos();
        attemptStore(link, stream, call, durability, deadline, 0, result);
        return result;
    }

    private void attemptStore(
            RedisLink<String, String> link,
            String stream,
            SendBatches.Call call,
            Durability durability,
            long deadline,
            int attempt,
            CompletableFuture<SendBatches.Stored> result) {
        CompletionStage<SendBatches.Stored> stored;
        try {
            if (durability.mode() == Durability.Mode.WAIT) {
                RedisClusterAsyncCommands<String, String> owner = link.onMasterOf(stream);
                CompletionStage<List<Object>> reply = call.script()
                        .<String, String, List<Object>>run(owner, ScriptOutputType.MULTI, call.keys(), call.args());
                CompletionStage<Long> replicated = owner.waitForReplication(
                        durability.replicas(), durability.waitTimeout().toMillis());
                stored = reply.thenCombine(replicated, SendBatches.Stored::new);
            } else {
                stored = call.script()
                        .<String, String, List<Object>>run(
                                link.async(), ScriptOutputType.MULTI, call.keys(), call.args())
                        .thenApply(reply -> new SendBatches.Stored(reply, -1));
            }
        } catch (RuntimeException e) {
            stored = CompletableFuture.failedFuture(e);
        }
        stored.whenComplete((both, failure) -> {
            if (failure == null) {
                result.complete(both);
                return;
            }
            long pauseMillis =
                    Math.min(MAX_OWNER_RETRY_PAUSE_MILLIS, MIN_OWNER_RETRY_PAUSE_MILLIS << Math.min(attempt, 5));
            if (!link.isCluster()
                    || !RedisLink.ownerMayHaveChanged(failure)
                    || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) - deadline > 0) {
                result.completeExceptionally(failure);
                return;
            }
            link.refreshTopology()
                    .whenComplete((refreshed, refreshFailure) -> CompletableFuture.runAsync(
                            () -> attemptStore(link, stream, call, durability, deadline, attempt + 1, result),
                            CompletableFuture.delayedExecutor(pauseMillis, TimeUnit.MILLISECONDS)));
        });
    }

    /**
     * The longest a send waits for Redis: the command timeout, and with {@code wait:N} the replication
     * timeout on top, as Lettuce times the script and WAIT behind it.
     */
    private static Duration sendTimeout(BusOptions options) {
        Durability durability = options.send().durability();
        Duration timeout = options.connection().commandTimeout();
        return durability.mode() == Durability.Mode.WAIT ? timeout.plus(durability.waitTimeout()) : timeout;
    }

    /** The length of {@code text} in UTF-8 bytes (a lone surrogate counts as the 1 byte '?' it encodes to). */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static final long MIN_OWNER_RETRY_PAUSE_MILLIS = 10;
    private static final long MAX_OWNER_RETRY_PAUSE_MILLIS = 500;

    private void countSend(AgentId to, Envelope envelope, boolean duplicate) {
        if (duplicate) {
            metrics.deduplicated(to);
        } else {
            metrics.published(to, envelope);
        }
    }

    /**
     * Indexes {@code agent} in {@link KeySchema#KNOWN_AGENTS} once per process. The send does not wait for
     * it (only listings read the index), but a failed SADD is forgotten, so the next send to the agent
     * writes it again: on a cluster the index lives on another master than the agent's keys, and a SADD
     * lost while that master fails over used to hide the agent from {@code stats} and the dashboard for
     * the life of the process.
     */
    void know(AgentId agent) {
        if (knownAgents.add(agent)) {
            commands.sadd(KeySchema.KNOWN_AGENTS, agent.value()).whenComplete((added, failure) -> {
                if (failure != null && RedisErrors.isPermissionDenied(failure)) {
                    // A per-agent ACL user (docs/SECURITY.md): whoever sends to the agent indexes it.
                    log.warn(
                            "the ACL user may not write {}: {} is left to be indexed by its senders, and this"
                                    + " process does not try again",
                            KeySchema.KNOWN_AGENTS,
                            agent);
                } else if (failure != null) {
                    knownAgents.remove(agent);
                    log.warn(
                            "could not list {} in {}; the next send to it tries again: {}",
                            agent,
                            KeySchema.KNOWN_AGENTS,
                            failure.toString());
                }
            });
        }
    }

    /**
     * Refuses, before any Redis call, a payload over {@code maxPayloadBytes}; counts its UTF-8 bytes without
     * encoding it, since a send passes here more than once.
     */
    void checkPayload(Envelope envelope) {
        long payloadBytes = utf8Length(envelope.payload());
        if (payloadBytes > options.send().maxPayloadBytes()) {
            throw new InvalidEnvelopeException(
                    WireFields.PAYLOAD,
                    envelope.payload(),
                    "must be at most " + options.send().maxPayloadBytes() + " bytes of UTF-8 (maxPayloadBytes) but is "
                            + payloadBytes + " bytes");
        }
    }
}
