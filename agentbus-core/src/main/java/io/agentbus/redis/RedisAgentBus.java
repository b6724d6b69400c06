package io.agentbus.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.BusUnavailableException;
import io.agentbus.CircuitOpenException;
import io.agentbus.ConnectionState;
import io.agentbus.DeadLetterReason;
import io.agentbus.DeadLetters;
import io.agentbus.DeliveryOptions;
import io.agentbus.Durability;
import io.agentbus.Envelope;
import io.agentbus.InboxFullException;
import io.agentbus.InboxStats;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.MessageHandler;
import io.agentbus.NoLiveInstanceException;
import io.agentbus.NoRespondersException;
import io.agentbus.NotReplicatedException;
import io.agentbus.RedisVersion;
import io.agentbus.RequestHandler;
import io.agentbus.RequestTimeoutException;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.SyncAgentBus;
import io.agentbus.WireFields;
import io.agentbus.audit.AuditTrail;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.BroadcastStats;
import io.agentbus.broadcast.BroadcastSubscription;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.Swarms;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bus on one Redis server.
 *
 * <p>Connections: one command connection shared by every send, ack and script (never a blocking
 * command on it), plus one blocking-read connection per {@link InboxReader}. A reader serves one
 * "lane": the first subscription of each agent in this process is in lane 0, a second subscription
 * of the same agent in lane 1, and so on, because one XREADGROUP call names one consumer. So the
 * connection count grows with the most instances of one agent in the process (usually 1), never
 * with the number of agents.
 *
 * <p>Threads: one thread per reader, and a shared pool of {@link BusOptions#handlerThreads()} that
 * runs handlers; Lettuce's own I/O threads complete the futures.
 */
final class RedisAgentBus implements AgentBus {

    private static final Logger log = LoggerFactory.getLogger(RedisAgentBus.class);
    private static final RedisCodec<String, byte[]> READ_CODEC =
            RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final LuaScript SEND = LuaScript.load("send.lua");
    private static final LuaScript DEAD_LETTER = LuaScript.load("dead_letter.lua", "audit_record.lua");
    private static final LuaScript RETRY_LATER = LuaScript.load("retry_later.lua", "audit_record.lua");
    private static final LuaScript EXTEND_LEASE = LuaScript.load("extend_lease.lua");
    private static final LuaScript RELEASE_CONSUMER = LuaScript.load("release_consumer.lua");
    private static final LuaScript TRIM = LuaScript.load("trim.lua");
    private static final LuaScript SCHEDULE = LuaScript.load("schedule.lua");
    private static final LuaScript ACK = LuaScript.load("ack.lua", "audit_record.lua");
    private static final LuaScript MOVE_DUE = LuaScript.load("move_due.lua");
    private static final int MOVE_BATCH = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BusOptions options;
    private final ClientResources resources;
    private final RedisClient client;
    private final ConnectionWatch watch;
    private final BusMetrics metrics;
    private final Tracing tracing = Tracing.detect();
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> commands;
    /** The command connection, or for {@link Durability.Mode#WAIT} one of its own: WAIT blocks its connection. */
    private final StatefulRedisConnection<String, String> sendConnection;

    private final RedisVersion serverVersion;
    private final List<String> serverWarnings;
    private final String redisUri;
    private final AutoCloseable owned;
    private final String consumerPrefix;
    private final ExecutorService handlerPool;
    /**
     * The bus's one timer thread: ack flushes, request timeouts, deferred swarm events, sender checks.
     * Not CompletableFuture.delayedExecutor: on 2 CPUs its default pool starts a new thread per task.
     * Its tasks are short and never wait for Redis.
     */
    private final ScheduledThreadPoolExecutor timer;
    /** Reader lanes by consumer group: one XREADGROUP call names one group and one consumer. */
    private final Map<String, List<InboxReader>> readersByGroup = new HashMap<>();

    private final List<InboxSubscription> subscriptions = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SyncAgentBus sync = SyncAgentBus.of(this);
    private final PendingRequests requests;
    private final Set<String> knownAuditShards = ConcurrentHashMap.newKeySet();
    /** Agents this bus has added to {@link KeySchema#KNOWN_AGENTS}: one SADD per agent per process. */
    private final Set<AgentId> knownAgents = ConcurrentHashMap.newKeySet();

    private final RedisAuditTrail audit;
    private final RedisRegistry registry;
    private final CircuitBreakers breakers;
    private final RedisSwarms swarms;
    private final Map<String, RedisSwarmEvents> swarmEvents = new ConcurrentHashMap<>();
    private final Broadcasts broadcasts;

    private RedisAgentBus(
            BusOptions options,
            ClientResources resources,
            RedisClient client,
            ConnectionWatch watch,
            BusMetrics metrics,
            StatefulRedisConnection<String, String> connection,
            StatefulRedisConnection<String, String> sendConnection,
            RedisVersion serverVersion,
            List<String> serverWarnings,
            String redisUri,
            AutoCloseable owned) {
        this.options = options;
        this.resources = resources;
        this.client = client;
        this.watch = watch;
        this.metrics = metrics;
        this.connection = connection;
        this.commands = connection.async();
        this.sendConnection = sendConnection;
        this.serverVersion = serverVersion;
        this.serverWarnings = serverWarnings;
        this.redisUri = redisUri;
        this.owned = owned;
        this.consumerPrefix = hostName() + "-" + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        this.handlerPool = Executors.newFixedThreadPool(options.handlerThreads(), daemonThreads("agentbus-handler-"));
        this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("agentbus-timer-"));
        timer.setRemoveOnCancelPolicy(true); // a request's timeout is cancelled when its reply comes
        this.requests = new PendingRequests(options.listener(), timer);
        this.audit = new RedisAuditTrail(this);
        this.registry = new RedisRegistry(this);
        this.breakers = new CircuitBreakers(options.breakerThreshold(), options.breakerCoolDown());
        this.swarms = new RedisSwarms(this);
        this.broadcasts = new Broadcasts(client, commands, handlerPool, consumerPrefix, metrics);
        watch.watchBroadcasts(broadcasts);
    }

    static RedisAgentBus connect(RedisURI uri, BusOptions options, AutoCloseable owned) {
        String shownUri = BusUri.masked(uri.toString());
        uri.setTimeout(options.commandTimeout());
        ClientResources resources = DefaultClientResources.builder()
                .reconnectDelay(
                        options.reconnectMinDelay().equals(options.reconnectMaxDelay())
                                ? Delay.constant(options.reconnectMinDelay())
                                : Delay.fullJitter(
                                        options.reconnectMinDelay(),
                                        options.reconnectMaxDelay(),
                                        options.reconnectMinDelay().toMillis(),
                                        TimeUnit.MILLISECONDS))
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        // Lettuce flushes the socket after every command. With many sends in flight
                        // that is a write syscall per message on both ends; consolidating the
                        // flushes queued on the event loop writes them in one go, and costs nothing
                        // when a single command is in flight (it is flushed at once).
                        channel.pipeline()
                                .addFirst(new FlushConsolidationHandler(
                                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                    }
                })
                .build();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(clientOptions(options));
        BusMetrics metrics = new BusMetrics(options.meterRegistry());
        ConnectionWatch watch = new ConnectionWatch(options.listener(), resources, metrics);
        client.addListener(watch);
        try {
            StatefulRedisConnection<String, String> connection = connectWithin(client, options, shownUri);
            watch.watchCommands(connection);
            RedisVersion version =
                    RedisVersion.parse(infoField(connection.sync().info("server"), "redis_version"));
            if (version.compareTo(RedisVersion.MINIMUM) < 0) {
                throw new AgentBusException(
                        "agentbus needs Redis " + RedisVersion.MINIMUM + " or newer; " + shownUri + " runs " + version);
            }
            List<String> warnings = ServerCheck.verify(connection.sync(), options, shownUri);
            connection.sync().clientSetname("agentbus-commands");
            StatefulRedisConnection<String, String> sendConnection = connection;
            if (options.durability().mode() == Durability.Mode.WAIT) {
                sendConnection = client.connect(StringCodec.UTF8);
                sendConnection.sync().clientSetname("agentbus-durable-sends");
            }
            log.info("connected to {} (Redis {}, durability {})", shownUri, version, options.durability());
            return new RedisAgentBus(
                    options,
                    resources,
                    client,
                    watch,
                    metrics,
                    connection,
                    sendConnection,
                    version,
                    warnings,
                    shownUri,
                    owned);
        } catch (RuntimeException e) {
            watch.close();
            metrics.close();
            client.shutdown();
            resources.shutdown();
            throw RedisErrors.map(e, "cannot connect to " + shownUri + " within " + options.connectTimeout());
        }
    }

    /**
     * Lettuce's options, each set on purpose (docs/OPERATIONS.md): a bounded request queue (its default
     * is unbounded; twice the send bound, so acks find room when sends fill theirs), a timeout on every command including those queued while disconnected, TCP
     * keep-alive with short probes so a dead peer is noticed, a connect timeout, and either failing
     * at once or buffering while disconnected. Buffered commands are replayed after a reconnect; that
     * is safe because a send is a dedup script and an XACK is idempotent.
     */
    private static ClientOptions clientOptions(BusOptions options) {
        return ClientOptions.builder()
                .autoReconnect(true)
                // Sends are bounded by requestQueueSize themselves; the rest leaves acks and leases room.
                .requestQueueSize(2 * options.requestQueueSize())
                .disconnectedBehavior(
                        options.disconnectedSends() == BusOptions.DisconnectedSends.FAIL_FAST
                                ? ClientOptions.DisconnectedBehavior.REJECT_COMMANDS
                                : ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .suspendReconnectOnProtocolFailure(false)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(options.connectTimeout())
                        .keepAlive(SocketOptions.KeepAliveOptions.builder()
                                .enable()
                                .idle(Duration.ofSeconds(5))
                                .interval(Duration.ofSeconds(1))
                                .count(3)
                                .build())
                        .build())
                .timeoutOptions(TimeoutOptions.builder()
                        .timeoutCommands(true)
                        .timeoutSource(new BusTimeouts(options))
                        .build())
                .build();
    }

    /** Connects, or keeps trying with backoff until {@link BusOptions#connectWait()} has passed. */
    private static StatefulRedisConnection<String, String> connectWithin(
            RedisClient client, BusOptions options, String shownUri) {
        long deadline = System.nanoTime() + options.connectWait().toNanos();
        long pauseMillis = options.reconnectMinDelay().toMillis();
        while (true) {
            try {
                return client.connect(StringCodec.UTF8);
            } catch (RuntimeException e) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) - deadline > 0) {
                    throw e;
                }
                log.info("{} is not reachable yet ({}); trying again in {} ms", shownUri, e.getMessage(), pauseMillis);
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pauseMillis =
                        Math.min(pauseMillis * 2, options.reconnectMaxDelay().toMillis());
            }
        }
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope) {
        checkOpen();
        checkPayload(envelope);
        know(envelope.toAgent());
        return whenLive(
                envelope.toAgent(),
                () -> append(
                        PriorityBand.of(envelope.priority()).inbox(envelope.toAgent()),
                        KeySchema.dedup(envelope.toAgent(), envelope.messageId()),
                        envelope,
                        "",
                        options.maxInboxLength()));
    }

    /** Runs {@code step}, first checking the recipient is live if {@link BusOptions#requireLiveRecipient()}. */
    private <T> CompletionStage<T> whenLive(AgentId to, Supplier<CompletionStage<T>> step) {
        if (!options.requireLiveRecipient()) {
            return step.get();
        }
        return RedisErrors.mapped(commands.zscore(KeySchema.LIVE_AGENTS, to.value()), "check presence of " + to)
                .thenCompose(expiry -> {
                    if (expiry == null || expiry <= System.currentTimeMillis()) {
                        throw new NoLiveInstanceException(to);
                    }
                    return step.get();
                });
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope untraced, Instant deliverAt) {
        checkOpen();
        checkPayload(untraced);
        know(untraced.toAgent());
        Tracing.Sending sending = tracing.sending(untraced);
        Envelope envelope = sending.envelope();
        String fields;
        try {
            fields = JSON.writeValueAsString(EnvelopeCodec.encode(envelope));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is always JSON", e);
        }
        CompletionStage<List<Object>> scheduled = SCHEDULE.run(
                commands,
                ScriptOutputType.MULTI,
                new String[] {
                    KeySchema.delayed(envelope.toAgent()),
                    KeySchema.dedup(envelope.toAgent(), envelope.messageId()),
                    KeySchema.counters(envelope.toAgent())
                },
                Long.toString(options.dedupWindow().toMillis()),
                Long.toString(deliverAt.toEpochMilli()),
                fields);
        return RedisErrors.mapped(
                        scheduled.thenApply(reply -> {
                            boolean duplicate = (Long) reply.get(0) == 0;
                            countSend(envelope.toAgent(), envelope, duplicate);
                            return new SendReceipt(
                                    envelope.messageId(),
                                    envelope.toAgent(),
                                    duplicate ? (String) reply.get(1) : "",
                                    duplicate);
                        }),
                        "schedule " + envelope.messageId() + " for " + envelope.toAgent() + " at " + deliverAt)
                .whenComplete((scheduledReceipt, failure) -> sending.ended(failure));
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope, Duration delay) {
        return send(envelope, Instant.now().plus(delay));
    }

    /**
     * Moves due delayed messages of {@code agent} into its inbox (move_due.lua); completes with the
     * milliseconds until the next is due, or -1 if none waits.
     */
    CompletionStage<Long> moveDue(AgentId agent) {
        CompletionStage<List<Object>> moved = MOVE_DUE.run(
                commands,
                ScriptOutputType.MULTI,
                new String[] {
                    KeySchema.delayed(agent),
                    PriorityBand.HIGH.inbox(agent),
                    PriorityBand.NORMAL.inbox(agent),
                    PriorityBand.LOW.inbox(agent)
                },
                Integer.toString(MOVE_BATCH));
        return moved.thenApply(reply -> (Long) reply.get(0) == MOVE_BATCH ? 0L : (Long) reply.get(1));
    }

    /**
     * Appends {@code envelope} to {@code stream} once per message id within the dedup window
     * (send.lua); with a {@code requiredGroup}, only if the stream has that consumer group.
     */
    CompletionStage<SendReceipt> append(
            String stream, String dedupKey, Envelope untraced, String requiredGroup, long maxLength) {
        return append(stream, dedupKey, untraced, requiredGroup, maxLength, null);
    }

    /**
     * The receiving side of a swarm message stream, which send.lua sets up with the message: the index
     * {@code receivers.index()} gets {@code receivers.sender()}, and the stream gets the group
     * {@code receivers.group()} if it has none (see {@link RedisSwarmMessenger}).
     */
    record Receivers(String index, String sender, String group) {}

    /** {@link #append(String, String, Envelope, String, long)}, and with {@code receivers} (or null) set up too. */
    CompletionStage<SendReceipt> append(
            String stream,
            String dedupKey,
            Envelope untraced,
            String requiredGroup,
            long maxLength,
            Receivers receivers) {
        Tracing.Sending sending = tracing.sending(untraced);
        Envelope envelope = sending.envelope();
        Map<String, String> fields = EnvelopeCodec.encode(envelope);
        int first = receivers == null ? 4 : 6;
        String[] args = new String[first + fields.size() * 2];
        args[0] = Long.toString(options.dedupWindow().toMillis());
        args[1] = requiredGroup;
        args[2] = Long.toString(maxLength);
        args[3] = Long.toString(options.auditCap());
        if (receivers != null) {
            args[4] = receivers.sender();
            args[5] = receivers.group();
        }
        int i = first;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            args[i++] = field.getKey();
            args[i++] = field.getValue();
        }
        RedisAsyncCommands<String, String> sender = sendConnection.async();
        if (!watch.tryStartSend(options.requestQueueSize())) {
            throw new BusUnavailableException(
                    "send " + envelope.messageId() + " refused: " + options.requestQueueSize()
                            + " sends are already waiting for Redis (requestQueueSize)",
                    null);
        }
        String[] keys = receivers == null
                ? new String[] {stream, dedupKey, auditShard(stream), KeySchema.counters(stream)}
                : new String[] {stream, dedupKey, auditShard(stream), KeySchema.counters(stream), receivers.index()};
        CompletionStage<List<Object>> stored = SEND.run(sender, ScriptOutputType.MULTI, keys, args);
        stored.whenComplete((result, failure) -> watch.sendEnded());
        CompletionStage<SendReceipt> receipt = stored.thenApply(reply -> {
            long outcome = (Long) reply.get(0);
            if (outcome == -1) {
                throw new NoRespondersException(envelope.toAgent());
            }
            if (outcome == -2) {
                throw new InboxFullException(envelope.toAgent(), maxLength);
            }
            countSend(envelope.toAgent(), envelope, outcome == 0);
            return new SendReceipt(envelope.messageId(), envelope.toAgent(), (String) reply.get(1), outcome == 0);
        });
        Durability durability = options.durability();
        if (durability.mode() == Durability.Mode.WAIT) {
            // Pipelined right behind the script on the same connection, so WAIT covers its write.
            CompletionStage<Long> replicated = sender.waitForReplication(
                    durability.replicas(), durability.waitTimeout().toMillis());
            receipt = receipt.thenCombine(replicated, (stored1, confirmed) -> {
                if (confirmed < durability.replicas()) {
                    throw new NotReplicatedException(envelope.messageId(), durability.replicas(), confirmed);
                }
                return stored1;
            });
        }
        return RedisErrors.mapped(receipt, "send " + envelope.messageId() + " to " + stream)
                .whenComplete((sent, failure) -> sending.ended(failure));
    }

    private void countSend(AgentId to, Envelope envelope, boolean duplicate) {
        if (duplicate) {
            metrics.deduplicated(to);
        } else {
            metrics.published(to, envelope);
        }
    }

    BusMetrics metrics() {
        return metrics;
    }

    Tracing tracing() {
        return tracing;
    }

    @Override
    public Subscription subscribe(AgentId agent, MessageHandler handler) {
        return subscribe(agent, options.delivery(), handler);
    }

    @Override
    public Subscription subscribe(AgentId agent, DeliveryOptions delivery, MessageHandler handler) {
        Objects.requireNonNull(agent, "agent");
        know(agent);
        return subscribe(agent, KeySchema.INBOX_GROUP, ConsumedStream.inboxBands(agent), delivery, handler);
    }

    /** Indexes {@code agent} in {@link KeySchema#KNOWN_AGENTS} once per process (fire and forget: only listings read it). */
    private void know(AgentId agent) {
        if (knownAgents.add(agent)) {
            commands.sadd(KeySchema.KNOWN_AGENTS, agent.value());
        }
    }

    /**
     * Starts one consumer of {@code streams} (all read by {@code group}; there may be none yet, see
     * {@link InboxSubscription#addStream}) in the first lane of that group that does not read them yet:
     * one consumer name per lane, one feed per stream.
     */
    InboxSubscription subscribe(
            AgentId subscriber,
            String group,
            List<ConsumedStream> streams,
            DeliveryOptions delivery,
            MessageHandler handler) {
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(handler, "handler");
        synchronized (this) {
            checkOpen();
            List<InboxReader> lanes = readersByGroup.computeIfAbsent(group, g -> new ArrayList<>());
            int lane = 0;
            while (lane < lanes.size() && streams.stream().anyMatch(lanes.get(lane)::serves)) {
                lane++;
            }
            if (lane == lanes.size()) {
                String name = (KeySchema.INBOX_GROUP.equals(group) ? "" : group + "-") + lane;
                InboxReader reader = new InboxReader(
                        this, name, group, consumerPrefix + "-" + name, client.connect(READ_CODEC), options);
                watch.watchReader(reader);
                lanes.add(reader);
            }
            InboxReader reader = lanes.get(lane);
            streams.forEach(stream -> ensureConsumer(stream, reader.consumer()));
            InboxSubscription subscription =
                    new InboxSubscription(this, subscriber, streams, delivery, handler, reader);
            subscriptions.add(subscription);
            subscription.feeds().forEach(reader::add);
            log.debug("subscribed {} to {} as consumer {}", subscriber, streams, reader.consumer());
            return subscription;
        }
    }

    @Override
    public CompletionStage<Envelope> request(Envelope request, Duration timeout) {
        Objects.requireNonNull(request, "request");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be > 0, was " + timeout);
        }
        AgentId requester = request.fromAgent();
        synchronized (this) {
            if (subscriptions.stream().noneMatch(subscription -> subscription.isInboxOf(requester))) {
                throw new IllegalStateException("requests from " + requester + " need a subscription of " + requester
                        + " on this bus: the reply comes to its inbox; subscribe it first");
            }
        }
        Envelope outgoing = request.replyTo().isPresent()
                ? request
                : request.toBuilder().replyTo(requester).build();
        AgentId to = outgoing.toAgent();
        try {
            breakers.admit(to);
        } catch (CircuitOpenException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletionStage<Envelope> reply = requests.start(
                outgoing,
                timeout,
                () -> whenLive(
                        to,
                        () -> append(
                                PriorityBand.of(outgoing.priority()).inbox(to),
                                KeySchema.dedup(to, outgoing.messageId()),
                                outgoing,
                                KeySchema.INBOX_GROUP,
                                options.maxInboxLength())));
        return reply.whenComplete((answer, failure) -> {
            if (failure == null) {
                breakers.succeeded(to);
            } else if (failure instanceof RequestTimeoutException) {
                breakers.failed(to);
            }
        });
    }

    @Override
    public CompletionStage<Envelope> escalate(Envelope request, List<AgentId> chain, Duration deadlinePerLevel) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an escalation chain needs at least one level");
        }
        return escalateFrom(request, chain, 0, deadlinePerLevel, new ArrayList<>());
    }

    private CompletionStage<Envelope> escalateFrom(
            Envelope request, List<AgentId> chain, int level, Duration deadline, List<String> path) {
        AgentId to = chain.get(level);
        path.add(to.value());
        Envelope attempt = request.toBuilder()
                .messageId(request.messageId().value() + ".e" + level)
                .to(to)
                .extension("escalation_path", String.join(">", path))
                .build();
        return request(attempt, deadline)
                .handle((reply, failure) -> {
                    boolean last = level == chain.size() - 1;
                    boolean askedToEscalate = failure == null && wantsEscalation(reply);
                    boolean timedOut = failure instanceof RequestTimeoutException
                            || (failure != null && failure.getCause() instanceof RequestTimeoutException);
                    if (last || (!askedToEscalate && !timedOut)) {
                        if (failure != null) {
                            throw failure instanceof CompletionException completion
                                    ? completion
                                    : new CompletionException(failure);
                        }
                        return CompletableFuture.completedFuture(reply);
                    }
                    Map<String, String> details = new LinkedHashMap<>();
                    details.put("escalation_path", String.join(">", path));
                    details.put("next", chain.get(level + 1).value());
                    details.put("why", timedOut ? "no reply within " + deadline : "asked to escalate");
                    details.put(WireFields.MESSAGE_ID, request.messageId().value());
                    request.conversationId().ifPresent(id -> details.put(WireFields.CONVERSATION_ID, id));
                    audit.decision(to, "escalate", details);
                    return escalateFrom(request, chain, level + 1, deadline, path);
                })
                .thenCompose(next -> next);
    }

    private static boolean wantsEscalation(Envelope reply) {
        try {
            return JSON.readTree(reply.payload()).path("escalate").asBoolean(false);
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    @Override
    public Subscription serve(AgentId agent, RequestHandler handler) {
        Objects.requireNonNull(handler, "handler");
        // The request is acked once its reply is stored (ackWhen), not before: a crash in between
        // redelivers the request rather than losing the reply. Not awaiting it lets the instance take
        // the next request while the reply is in flight.
        return subscribe(agent, delivery -> {
            Object result = handler.handle(delivery);
            String type = delivery.envelope().messageType() + ".reply";
            if (result instanceof String json) {
                delivery.ackWhen(delivery.reply(type, json));
            } else if (result instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, ?> fields = (Map<String, ?>) map;
                delivery.ackWhen(delivery.reply(type, fields));
            } else if (result != null) {
                throw new IllegalArgumentException("a RequestHandler returns a Map, JSON object text or null, not "
                        + result.getClass().getName());
            }
        });
    }

    @Override
    public MessageHandler idempotent(MessageHandler handler, Duration window) {
        Objects.requireNonNull(handler, "handler");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("idempotency window must be > 0, was " + window);
        }
        long timeout = options.commandTimeout().toMillis();
        return delivery -> {
            String marker = KeySchema.processed(
                    delivery.envelope().toAgent(), delivery.envelope().messageId());
            if (await(commands.exists(marker), timeout, "check " + marker) > 0) {
                log.debug(
                        "message {} was already handled; acknowledging without running the handler",
                        delivery.envelope().messageId());
                return;
            }
            handler.handle(delivery);
            // Set before the ack, so a redelivery after a crash between the two is still recognised.
            await(
                    commands.set(marker, delivery.entryId(), SetArgs.Builder.px(window.toMillis())),
                    timeout,
                    "set " + marker);
        };
    }

    @Override
    public DeadLetters deadLetters(AgentId agent) {
        checkOpen();
        return new RedisDeadLetters(this, ConsumedStream.inbox(Objects.requireNonNull(agent, "agent")));
    }

    @Override
    public CompletionStage<PublishReceipt> publish(String channel, Envelope message) {
        checkOpen();
        return broadcasts.publish(channel, Objects.requireNonNull(message, "message"));
    }

    @Override
    public BroadcastSubscription listen(String channelOrPattern, BroadcastHandler handler) {
        checkOpen();
        return broadcasts.listen(channelOrPattern, Objects.requireNonNull(handler, "handler"));
    }

    @Override
    public BroadcastStats broadcastStats() {
        return broadcasts.stats();
    }

    @Override
    public SwarmEvents swarmEvents(String swarm) {
        checkOpen();
        // One per swarm and bus: the rate limit is shared by every publisher of the swarm in this process.
        return swarmEvents.computeIfAbsent(swarm, name -> new RedisSwarmEvents(this, name, options.swarmEventRate()));
    }

    @Override
    public Swarms swarms() {
        checkOpen();
        return swarms;
    }

    @Override
    public AgentRegistry registry() {
        checkOpen();
        return registry;
    }

    /** Whether requests to {@code to} fail fast now (its circuit is open): swarm events to it defer. */
    boolean circuitOpen(AgentId to) {
        return breakers.isOpen(to);
    }

    RedisRegistry presence() {
        return registry;
    }

    @Override
    public AuditTrail audit() {
        checkOpen();
        return audit;
    }

    @Override
    public DurableTopic topic(String name) {
        return topic(name, Retention.DEFAULT);
    }

    @Override
    public DurableTopic topic(String name, Retention retention) {
        checkOpen();
        String checked = AgentId.of(name).value(); // the hash tag rule
        return new RedisDurableTopic(
                this, checked, KeySchema.topic(checked), Objects.requireNonNull(retention, "retention"));
    }

    @Override
    public CompletionStage<InboxStats> inbox(AgentId agent) {
        checkOpen();
        return RedisErrors.mapped(InboxInspection.of(commands, agent), "inspect inbox of " + agent);
    }

    @Override
    public ConnectionState connectionState() {
        return watch.state();
    }

    @Override
    public List<String> serverWarnings() {
        return serverWarnings;
    }

    @Override
    public RedisVersion serverVersion() {
        return serverVersion;
    }

    @Override
    public String redisUri() {
        return redisUri;
    }

    @Override
    public SyncAgentBus sync() {
        return sync;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<InboxSubscription> open;
        List<InboxReader> lanes = new ArrayList<>();
        synchronized (this) {
            open = new ArrayList<>(subscriptions);
            readersByGroup.values().forEach(lanes::addAll);
        }
        lanes.forEach(InboxReader::stopReading);
        // Subscriptions drain in parallel, so the whole close is bounded by one shutdown timeout.
        open.forEach(InboxSubscription::beginClose);
        open.forEach(InboxSubscription::awaitClosed);
        lanes.forEach(InboxReader::close);
        handlerPool.shutdownNow();
        timer.shutdownNow();
        requests.close();
        broadcasts.close();
        watch.close();
        metrics.close();
        if (sendConnection != connection) {
            sendConnection.close();
        }
        connection.close();
        client.shutdown();
        resources.shutdown();
        try {
            owned.close();
        } catch (Exception e) {
            log.warn("could not close {}", owned, e);
        }
        log.info("closed bus on {}", redisUri);
    }

    // ---- used by readers and subscriptions ----

    void expired(AgentId subscriber, Envelope message, boolean deadLettered) {
        metrics.expired(subscriber);
        try {
            options.listener().expired(message, deadLettered);
        } catch (RuntimeException e) {
            log.warn("BusListener.expired threw; listeners must not throw", e);
        }
    }

    /** Whether {@code message} is a reply this bus awaits (or awaited): then it is not for the handler. */
    boolean takeReply(Envelope message) {
        return requests.take(message);
    }

    BusOptions options() {
        return options;
    }

    RedisAsyncCommands<String, String> commands() {
        return commands;
    }

    /** The bus's timer thread, for short tasks that never wait for Redis. */
    ScheduledExecutorService timer() {
        return timer;
    }

    ExecutorService handlerPool() {
        return handlerPool;
    }

    synchronized void removed(InboxSubscription subscription) {
        subscriptions.remove(subscription);
    }

    /**
     * Creates the agent's inbox and its consumer group (reading from the first entry) if missing, and
     * registers the consumer, so that a running instance shows in XINFO CONSUMERS before it has
     * received anything (a blocked XREADGROUP does not register it on every server version).
     */
    void ensureConsumer(ConsumedStream stream, String consumer) {
        try {
            connection
                    .sync()
                    .xgroupCreate(
                            XReadArgs.StreamOffset.from(stream.key(), stream.startId()),
                            stream.group(),
                            XGroupCreateArgs.Builder.mkstream());
        } catch (RuntimeException e) {
            if (!RedisErrors.hasErrorCode(e, "BUSYGROUP")) {
                throw RedisErrors.map(e, "create consumer group of " + stream);
            }
        }
        try {
            connection.sync().xgroupCreateconsumer(stream.key(), Consumer.from(stream.group(), consumer));
        } catch (RuntimeException e) {
            throw RedisErrors.map(e, "register consumer " + consumer + " of " + stream);
        }
    }

    CompletionStage<String> deadLetter(
            ConsumedStream stream,
            String entryId,
            DeadLetterReason reason,
            String field,
            String detail,
            String consumer,
            int attempts) {
        CompletionStage<String> moved = DEAD_LETTER.run(
                commands,
                ScriptOutputType.VALUE,
                new String[] {
                    stream.key(),
                    stream.deadLetters(),
                    stream.failures(),
                    auditShard(stream.key()),
                    KeySchema.counters(stream.key())
                },
                stream.group(),
                entryId,
                reason.code(),
                field == null ? "" : field,
                detail,
                consumer,
                Long.toString(System.currentTimeMillis()),
                Integer.toString(attempts),
                Long.toString(options.auditCap()));
        return moved.thenApply(deadLetterId -> {
            if (deadLetterId != null && reason != DeadLetterReason.EXPIRED) {
                metrics.deadLettered(stream.subscriber()); // an expired one is counted by expired()
            }
            return deadLetterId;
        });
    }

    CompletionStage<Long> retryLater(
            ConsumedStream stream, String consumer, String entryId, long idleMillis, int attempt, String why) {
        CompletionStage<Long> scheduled = RETRY_LATER.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {
                    stream.key(), stream.failures(), auditShard(stream.key()), KeySchema.counters(stream.key())
                },
                stream.group(),
                consumer,
                entryId,
                Long.toString(idleMillis),
                Long.toString(System.currentTimeMillis()),
                Long.toString(options.auditCap()),
                Integer.toString(attempt),
                why);
        return scheduled.thenApply(count -> {
            if (count == 1) {
                metrics.retried(stream.subscriber());
            }
            return count;
        });
    }

    /**
     * Acknowledges {@code entries} and records them in the audit trail, in one script (ack.lua). The
     * audit record's fields are passed from the envelopes in hand rather than read back from the
     * stream: an XRANGE per message would cost the server more than the ack itself.
     */
    CompletionStage<Long> ack(ConsumedStream stream, String consumer, List<StreamFeed.HandledEntry> entries) {
        int count = entries.size();
        boolean audited = options.auditCap() > 0;
        String[] args = new String[4 + count + (audited ? count * WireFields.AUDITED_FIELDS.size() : 0)];
        args[0] = stream.group();
        args[1] = consumer;
        args[2] = Long.toString(options.auditCap());
        args[3] = Integer.toString(count);
        int next = 4 + count;
        for (int i = 0; i < count; i++) {
            StreamFeed.HandledEntry entry = entries.get(i);
            args[4 + i] = entry.entryId();
            if (audited) {
                for (String value : EnvelopeCodec.auditedValues(entry.envelope())) {
                    args[next++] = value;
                }
            }
        }
        CompletionStage<Long> acked = ACK.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {stream.key(), auditShard(stream.key()), KeySchema.counters(stream.key())},
                args);
        return acked.thenApply(done -> {
            metrics.acked(stream.subscriber(), done);
            return done;
        });
    }

    /**
     * The audit shard of a stream's records, in the stream's slot. The first use of a shard by this
     * process adds its tag to the shard index (once, not per message), so that reads can merge shards.
     */
    String auditShard(String streamKey) {
        String tag = KeySchema.hashTag(streamKey);
        if (options.auditCap() > 0 && knownAuditShards.add(tag)) {
            commands.sadd(KeySchema.AUDIT_SHARDS, tag);
        }
        return KeySchema.auditMessages(tag);
    }

    /** Makes entries of this consumer reclaimable by any instance now, without counting a failure. */
    CompletionStage<List<String>> handBack(
            ConsumedStream stream, String consumer, List<String> entryIds, Duration visibility) {
        return commands.xclaim(
                        stream.key(),
                        Consumer.from(stream.group(), consumer),
                        XClaimArgs.Builder.minIdleTime(0).idle(visibility).justid(),
                        entryIds.toArray(String[]::new))
                .thenApply(claimed -> entryIds);
    }

    /** Extends the leases of {@code entryIds} this consumer still owns; completes with the ids it lost. */
    CompletionStage<List<String>> extendLeases(ConsumedStream stream, String consumer, List<String> entryIds) {
        String[] args = new String[2 + entryIds.size()];
        args[0] = stream.group();
        args[1] = consumer;
        for (int i = 0; i < entryIds.size(); i++) {
            args[i + 2] = entryIds.get(i);
        }
        CompletionStage<List<Object>> lost =
                EXTEND_LEASE.run(commands, ScriptOutputType.MULTI, new String[] {stream.key()}, args);
        return lost.thenApply(ids -> ids.stream().map(String::valueOf).toList());
    }

    /** Trims {@code stream} per {@code retention}, never past what a group has not received or holds (trim.lua). */
    CompletionStage<Long> trim(String stream, Retention retention) {
        return TRIM.run(
                commands,
                ScriptOutputType.INTEGER,
                new String[] {stream},
                Long.toString(retention.maxLength()),
                Long.toString(retention.maxAge().toMillis()));
    }

    CompletionStage<Long> releaseConsumer(ConsumedStream stream, String consumer) {
        return RELEASE_CONSUMER.run(
                commands, ScriptOutputType.INTEGER, new String[] {stream.key()}, stream.group(), consumer);
    }

    long clientIdOf(StatefulRedisConnection<String, byte[]> readConnection) {
        return readConnection.sync().clientId();
    }

    void checkPayload(Envelope envelope) {
        int payloadBytes = envelope.payloadBytes();
        if (payloadBytes > options.maxPayloadBytes()) {
            throw new InvalidEnvelopeException(
                    WireFields.PAYLOAD,
                    envelope.payload(),
                    "must be at most " + options.maxPayloadBytes() + " bytes of UTF-8 (maxPayloadBytes) but is "
                            + payloadBytes + " bytes");
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("bus on " + redisUri + " is closed");
        }
    }

    private static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new AgentBusException("INFO server has no " + name);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "_");
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Waits for a Redis step from a thread that may block; failures are mapped, as the sync view does. */
    static <T> T await(CompletionStage<T> stage, long timeoutMillis, String action) {
        try {
            return stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentBusException("interrupted: " + action, e);
        } catch (TimeoutException e) {
            throw new BusUnavailableException(action + ": no answer within " + timeoutMillis + " ms", e);
        } catch (ExecutionException e) {
            throw RedisErrors.map(e, action);
        }
    }

    static void awaitQuietly(CompletionStage<?> stage, long timeoutMillis) {
        try {
            stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("gave up waiting: {}", e.toString());
        }
    }
}
