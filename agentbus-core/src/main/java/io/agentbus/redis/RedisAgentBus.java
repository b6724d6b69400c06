package io.agentbus.redis;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionState;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxEnd;
import io.agentbus.InboxStats;
import io.agentbus.MessageHandler;
import io.agentbus.PendingEntry;
import io.agentbus.RequestHandler;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.StoredEntry;
import io.agentbus.Subscription;
import io.agentbus.SyncAgentBus;
import io.agentbus.audit.AuditTrail;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.BroadcastStats;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.RedisVersion;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.Swarms;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bus on one Redis server: a facade that checks arguments and the bus's state, and hands each
 * call to the part that does it.
 *
 * <ul>
 *   <li>{@link Connections}: the client, its connections, the server check, the close order;
 *   <li>{@link Sender}: the send path (admission, dedup, cap, audit, WAIT);
 *   <li>{@link ReaderLanes}: the blocking readers and the running instances of agents, topics and
 *       swarm receivers ({@link ConsumerInstance}), which settle through {@link StreamScripts};
 *   <li>{@link Requests}: request/reply, escalation, circuit breakers;
 *   <li>{@link Broadcasts}, {@link RedisRegistry}, {@link RedisAuditTrail}, {@link RedisSwarms},
 *       {@link RedisSwarmEvents}, {@link RedisDurableTopic}, {@link RedisDeadLetters}: the features.
 * </ul>
 *
 * <p>Threads: one thread per reader lane, and a shared pool of {@link BusOptions#handlerThreads()}
 * that runs handlers, and one timer thread ({@link BusThreads}); Lettuce's own I/O threads complete
 * the futures.
 */
final class RedisAgentBus implements AgentBus {

    private static final Logger log = LoggerFactory.getLogger(RedisAgentBus.class);

    private final BusOptions options;
    private final Connections connections;
    private final BusThreads threads;
    private final StreamScripts scripts;
    private final Sender sender;
    private final ReaderLanes lanes;
    private final Requests requests;
    private final Broadcasts broadcasts;
    private final RedisRegistry registry;
    private final RedisAuditTrail audit;
    private final RedisSwarms swarms;
    private final Map<String, RedisSwarmEvents> swarmEvents = new ConcurrentHashMap<>();
    /** Set first by {@link #close()}, which runs once. */
    private final AtomicBoolean closing = new AtomicBoolean();
    /**
     * Set by {@link #close()} once every instance stopped: until then the handlers it lets finish may
     * still send (a request's reply, a message to the next agent), as their work needs.
     */
    private volatile boolean closed;

    private final SyncAgentBus sync = SyncAgentBus.of(this);

    private RedisAgentBus(BusOptions options, Connections connections) {
        this.options = options;
        this.connections = connections;
        this.threads = new BusThreads(options.consumer().handlerThreads());
        this.scripts = new StreamScripts(connections.commandConnection(), options, connections.metrics());
        Tracing tracing = detectTracing();
        this.sender = new Sender(connections, scripts, options, tracing, threads.timer());
        this.registry = new RedisRegistry(this, this::publishPresence, connections.commands(), options);
        this.audit = new RedisAuditTrail(this, connections.commands(), options);
        this.requests = new Requests(sender, audit, options, threads);
        // The consumer side gets what it needs as values and functions, never the bus itself.
        ConsumerContext context = new ConsumerContext(
                options,
                scripts,
                threads,
                connections.metrics(),
                tracing,
                registry,
                requests::takeReply,
                this::sendReply);
        this.lanes = new ReaderLanes(connections, context);
        this.swarms = new RedisSwarms(
                connections.commands(),
                options,
                new RedisSwarmMessenger(sender, lanes, scripts, connections.commands(), threads, options));
        this.broadcasts = new Broadcasts(
                connections::connectPubSub,
                connections.commands(),
                threads.handlerPool(),
                lanes.consumerPrefix(),
                connections.metrics(),
                connections.isCluster());
        connections.watch().watchBroadcasts(broadcasts);
    }

    static RedisAgentBus connect(BusUri target, BusOptions options, AutoCloseable owned) {
        return new RedisAgentBus(options, Connections.open(target, options, owned));
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope) {
        checkOpen();
        return sender.send(Objects.requireNonNull(envelope, "envelope"));
    }

    /** A handler's reply ({@link StreamDelivery#reply}): a send that does not list the requester. */
    private CompletionStage<SendReceipt> sendReply(Envelope envelope) {
        checkOpen();
        return sender.sendReply(Objects.requireNonNull(envelope, "envelope"));
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope, Instant deliverAt) {
        checkOpen();
        return sender.send(Objects.requireNonNull(envelope, "envelope"), deliverAt);
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope, Duration delay) {
        return send(envelope, Instant.now().plus(delay));
    }

    @Override
    public Subscription subscribe(AgentId agent, MessageHandler handler) {
        return subscribe(agent, options.delivery(), handler);
    }

    @Override
    public Subscription subscribe(AgentId agent, DeliveryOptions delivery, MessageHandler handler) {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(delivery, "delivery");
        checkOpen();
        if (!delivery.temporary()) {
            // A temporary agent is not listed: its keys expire, and a listing would outlive them.
            sender.know(agent);
        }
        return lanes.start(agent, KeySchema.INBOX_GROUP, ConsumedStream.inboxBands(agent), delivery, handler);
    }

    @Override
    public CompletionStage<Envelope> request(Envelope request, Duration timeout) {
        checkOpen();
        checkRequester(request);
        return requests.request(request, timeout);
    }

    /** A reply comes to the requester's inbox: this bus must run an instance of it. */
    private void checkRequester(Envelope request) {
        AgentId requester = Objects.requireNonNull(request, "request").fromAgent();
        if (!lanes.runsInboxOf(requester)) {
            throw new IllegalStateException("requests from " + requester + " need a subscription of " + requester
                    + " on this bus: the reply comes to its inbox; subscribe it first");
        }
    }

    @Override
    public Subscription serve(AgentId agent, RequestHandler handler) {
        return subscribe(agent, handler.asMessageHandler());
    }

    @Override
    public MessageHandler idempotent(MessageHandler handler, Duration window) {
        return Idempotency.wrap(
                connections.commands(), options.connection().commandTimeout().toMillis(), handler, window);
    }

    @Override
    public DeadLetters deadLetters(AgentId agent) {
        checkOpen();
        return new RedisDeadLetters(
                ConsumedStream.inbox(Objects.requireNonNull(agent, "agent")), connections.commands(), scripts, options);
    }

    @Override
    public CompletionStage<PublishReceipt> publish(String channel, Envelope message) {
        checkOpen();
        return broadcasts.publish(channel, Objects.requireNonNull(message, "message"));
    }

    @Override
    public Subscription listen(String channelOrPattern, BroadcastHandler handler) {
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
        return swarmEvents.computeIfAbsent(
                swarm,
                name -> new RedisSwarmEvents(
                        this,
                        name,
                        options.swarm().eventRate(),
                        requests::circuitOpen,
                        threads.timer(),
                        key -> durableTopic(key, key, Retention.DEFAULT)));
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
        return durableTopic(checked, KeySchema.topic(checked), Objects.requireNonNull(retention, "retention"));
    }

    private RedisDurableTopic durableTopic(String name, String key, Retention retention) {
        return new RedisDurableTopic(name, key, retention, sender, lanes, scripts, connections.commands(), options);
    }

    @Override
    public CompletionStage<InboxStats> inbox(AgentId agent) {
        checkOpen();
        return RedisErrors.mapped(
                InboxInspection.of(
                        connections.commands(), agent, options.delivery().visibilityTimeout()),
                "inspect inbox of " + agent);
    }

    @Override
    public CompletionStage<Boolean> forgetConsumer(AgentId agent, String consumer) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(consumer, "consumer");
        List<CompletableFuture<Long>> bands = ConsumedStream.inboxBands(agent).stream()
                .map(band -> scripts.releaseConsumer(band, consumer)
                        .handle((released, failure) -> {
                            if (failure == null) {
                                return released;
                            }
                            if (RedisErrors.hasErrorCode(failure, "NOGROUP")) {
                                return 0L; // a band nobody ever read has no consumer to forget
                            }
                            throw failure instanceof CompletionException completion
                                    ? completion
                                    : new CompletionException(failure);
                        })
                        .toCompletableFuture())
                .toList();
        CompletionStage<Boolean> removed = CompletableFuture.allOf(bands.toArray(CompletableFuture[]::new))
                .thenApply(done ->
                        bands.stream().mapToLong(CompletableFuture::join).sum() > 0);
        return RedisErrors.mapped(removed, "forget consumer " + consumer + " of " + agent);
    }

    @Override
    public CompletionStage<List<StoredEntry>> peek(AgentId agent, InboxEnd end, int limit) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(end, "end");
        return RedisErrors.mapped(
                InboxPeek.entries(connections.commands(), agent, end, limit), "peek inbox of " + agent);
    }

    @Override
    public CompletionStage<List<PendingEntry>> pendingEntries(AgentId agent, int limit) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        return RedisErrors.mapped(
                InboxPeek.pending(connections.commands(), agent, limit), "read pending entries of " + agent);
    }

    @Override
    public ConnectionState connectionState() {
        return connections.watch().state();
    }

    @Override
    public List<String> serverWarnings() {
        return connections.serverWarnings();
    }

    @Override
    public RedisVersion serverVersion() {
        return connections.serverVersion();
    }

    @Override
    public String serverSoftware() {
        return connections.serverSoftware();
    }

    @Override
    public String redisUri() {
        return connections.shownUri();
    }

    @Override
    public SyncAgentBus sync() {
        return sync;
    }

    /**
     * Stops reading, lets running handlers finish and settle within the shutdown timeout, then stops
     * the threads, the pending requests, the broadcasts and the connections, in that order.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        lanes.close();
        closed = true;
        threads.close();
        requests.close();
        broadcasts.close();
        connections.close();
        log.info("closed bus on {}", connections.shownUri());
    }

    /**
     * OpenTelemetry's tracing when its API is on the classpath, else pass-through. Checked by name
     * first: {@link OpenTelemetryTracing} cannot even load without the API.
     */
    private static Tracing detectTracing() {
        try {
            Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, Tracing.class.getClassLoader());
            return OpenTelemetryTracing.fromGlobal();
        } catch (ClassNotFoundException | LinkageError absent) {
            return Tracing.PASS_THROUGH;
        }
    }

    /** A presence event, published even while the bus closes (its instances leave then): see RedisRegistry. */
    private CompletionStage<PublishReceipt> publishPresence(String channel, Envelope event) {
        return broadcasts.publish(channel, event);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("bus on " + connections.shownUri() + " is closed");
        }
    }
}
