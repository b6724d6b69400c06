package io.agentbus.testkit.memory;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionState;
import io.agentbus.DeliveryOptions;
import io.agentbus.Durability;
import io.agentbus.Envelope;
import io.agentbus.InboxEnd;
import io.agentbus.InboxStats;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.MessageHandler;
import io.agentbus.PendingEntry;
import io.agentbus.RecipientUnavailableException;
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
import io.agentbus.protocol.WireFields;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.Swarms;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An {@link AgentBus} without Redis, for fast unit tests of agents: the same API and the same
 * delivery rules as the Redis bus (durable per-agent inboxes with competing instances, priority
 * bands, at-least-once with retries, backoff, visibility timeout and dead letters, dedup, delayed
 * and expiring messages, inbox caps, request/reply and escalation, broadcasts, durable topics, the
 * registry, the audit trail and swarms), kept in this JVM's memory and lost with it.
 *
 * <pre>{@code
 * TestClock clock = TestClock.startingNow();
 * try (InMemoryAgentBus bus = InMemoryAgentBus.builder().clock(clock).build()) {
 *     bus.subscribe(AgentId.of("copywriter"), delivery -> drafts.add(delivery.envelope()));
 *     bus.sync().send(Envelope.builder().from("cmo").to("copywriter").type("task").payload("{}").build());
 *     bus.awaitIdle(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>A bus built alone has a server of its own; buses that must see each other's messages (two
 * instances of one agent, a requester and a responder in "two processes") connect to one
 * {@link InMemoryServer}. Handlers run on a fixed pool of {@link io.agentbus.ConsumerOptions#handlerThreads()}
 * threads, each subscription's one at a time. Times come from the server's clock: with a
 * {@link TestClock}, delays, TTLs, retries, visibility timeouts, the dedup window and request timeouts
 * move only when the test advances it.
 *
 * <p>What only a server has: {@link #connectionState()} is {@code CONNECTED} until closed (nothing
 * disconnects), {@link #serverSoftware()} is {@value #SOFTWARE}, {@link #redisUri()} is {@value #URI},
 * {@link #serverWarnings()} says which requested durability memory cannot give, and
 * {@link #serverVersion()} throws {@link UnsupportedOperationException}: there is no Redis version.
 * Signed envelopes ({@code SigningOptions}) are refused when the bus is built; metrics are not
 * recorded; temporary agents' ({@code expireAfter}) state does not expire.
 */
public final class InMemoryAgentBus implements AgentBus {

    /** What {@link #serverSoftware()} answers. */
    public static final String SOFTWARE = "in-memory";
    /** What {@link #redisUri()} answers. */
    public static final String URI = "memory:";

    private final InMemoryServer server;
    private final BusOptions options;
    private final int number;
    private final boolean ownsServer;
    private final ExecutorService executor;
    private final MemoryBroadcasts broadcasts;
    private final MemoryRegistry registry;
    private final MemoryAuditTrail audit;
    private final MemorySwarms swarms;
    private final MemoryRequests requests;
    private final Map<String, MemorySwarmEvents> swarmEvents = new ConcurrentHashMap<>();
    private final List<MemoryConsumer> consumers = new CopyOnWriteArrayList<>();
    private final List<Subscription> listenings = new CopyOnWriteArrayList<>();
    private final AtomicInteger consumerNumbers = new AtomicInteger();
    private final SyncAgentBus sync = SyncAgentBus.of(this);
    private final Instant connectedAt;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    private volatile Instant closedAt;

    InMemoryAgentBus(InMemoryServer server, BusOptions options, int number, boolean ownsServer) {
        if (options.signing().enabled()) {
            throw new UnsupportedOperationException(
                    "the in-memory bus neither signs nor checks envelopes; test signing against a Redis bus");
        }
        this.server = server;
        this.options = options;
        this.number = number;
        this.ownsServer = ownsServer;
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(options.consumer().handlerThreads(), runnable -> {
            Thread thread = new Thread(runnable, "memory-bus-" + number + "-handler-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.broadcasts = new MemoryBroadcasts(this);
        this.registry = new MemoryRegistry(this);
        this.audit = new MemoryAuditTrail(this);
        this.swarms = new MemorySwarms(this, new MemorySwarmMessenger(this));
        this.requests = new MemoryRequests(this);
        this.connectedAt = server.clock.instant();
    }

    /** A builder of a bus with a server of its own. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a bus with a server of its own, closed with it; for buses that share one, see {@link InMemoryServer#connect}. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private BusOptions options = BusOptions.defaults();

        private Builder() {}

        /** Where every time of the bus comes from; a {@link TestClock} for tests that move time. Default the system's. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Default {@link BusOptions#defaults()}. Connection settings have no use in memory. */
        public Builder options(BusOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        public InMemoryAgentBus build() {
            return InMemoryServer.create(clock).connectOwned(options);
        }
    }

    /** The server this bus is connected to: {@link InMemoryServer#connect} more buses to it. */
    public InMemoryServer server() {
        return server;
    }

    /** See {@link InMemoryServer#awaitIdle(Duration)}: waits until nothing is left to do without time passing. */
    public void awaitIdle(Duration timeout) {
        server.awaitIdle(timeout);
    }

    BusOptions options() {
        return options;
    }

    boolean ownsServer() {
        return ownsServer;
    }

    // Sends

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope) {
        checkOpen();
        checkPayload(Objects.requireNonNull(envelope, "envelope"));
        know(envelope.toAgent());
        return sendReply(envelope);
    }

    /** A handler's reply: a send that does not list the requester among the known agents. */
    CompletionStage<SendReceipt> sendReply(Envelope envelope) {
        checkOpen();
        AgentId to = envelope.toAgent();
        if (options.send().requireLiveRecipient() && !registry.isLive(to)) {
            return CompletableFuture.failedFuture(RecipientUnavailableException.noLiveInstance(to));
        }
        return append(
                KeySchema.inbox(to, envelope.priority()),
                KeySchema.dedup(to, envelope.messageId()),
                envelope,
                null,
                options.send().maxInboxLength());
    }

    CompletionStage<SendReceipt> appendRequest(Envelope request) {
        AgentId to = request.toAgent();
        if (options.send().requireLiveRecipient() && !registry.isLive(to)) {
            return CompletableFuture.failedFuture(RecipientUnavailableException.noLiveInstance(to));
        }
        return append(
                KeySchema.inbox(to, request.priority()),
                KeySchema.dedup(to, request.messageId()),
                request,
                KeySchema.INBOX_GROUP,
                options.send().maxInboxLength());
    }

    /** Stores {@code envelope} on the server: the stage fails as the Redis bus's would (no responders, inbox full). */
    CompletionStage<SendReceipt> append(
            String streamKey, String dedupKey, Envelope envelope, String requiredGroup, long maxLength) {
        checkPayload(envelope);
        CompletionStage<SendReceipt> stored;
        try {
            stored = CompletableFuture.completedFuture(
                    server.append(streamKey, dedupKey, envelope, requiredGroup, maxLength, options));
        } catch (RuntimeException refused) {
            stored = CompletableFuture.failedFuture(refused);
        }
        server.pump();
        return stored;
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope, Instant deliverAt) {
        checkOpen();
        checkPayload(Objects.requireNonNull(envelope, "envelope"));
        Objects.requireNonNull(deliverAt, "deliverAt");
        know(envelope.toAgent());
        return CompletableFuture.completedFuture(server.schedule(envelope, deliverAt, options));
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope envelope, Duration delay) {
        return send(envelope, server.clock.instant().plus(delay));
    }

    /**
     * Refuses a payload over {@code maxPayloadBytes} as the Redis bus does (its check, {@code Sender.checkPayload},
     * is not public: this is the same rule on {@link Envelope#payloadBytes()}).
     */
    private void checkPayload(Envelope envelope) {
        int payloadBytes = envelope.payloadBytes();
        if (payloadBytes > options.send().maxPayloadBytes()) {
            throw new InvalidEnvelopeException(
                    WireFields.PAYLOAD,
                    envelope.payload(),
                    "must be at most " + options.send().maxPayloadBytes() + " bytes of UTF-8 (maxPayloadBytes) but is "
                            + payloadBytes + " bytes");
        }
    }

    private void know(AgentId agent) {
        synchronized (server) {
            server.known.add(agent.value());
        }
    }

    // Instances

    @Override
    public Subscription subscribe(AgentId agent, MessageHandler handler) {
        return subscribe(agent, options.delivery(), handler);
    }

    @Override
    public Subscription subscribe(AgentId agent, DeliveryOptions delivery, MessageHandler handler) {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(handler, "handler");
        checkOpen();
        List<MemoryStream> bands = new ArrayList<>();
        synchronized (server) {
            for (int priority :
                    new int[] {KeySchema.HIGH_BAND_LOWEST_PRIORITY, KeySchema.NORMAL_BAND_LOWEST_PRIORITY, 1}) {
                MemoryStream band = server.stream(KeySchema.inbox(agent, priority));
                band.createGroup(KeySchema.INBOX_GROUP, true);
                bands.add(band);
            }
            if (!delivery.temporary()) {
                server.known.add(agent.value());
            }
        }
        List<MemoryStream> highestFirst = List.copyOf(bands);
        return startConsumer(agent, KeySchema.INBOX_GROUP, () -> highestFirst, delivery, handler, true);
    }

    /** Starts an instance of {@code group} on {@code streams}; an agent's inbox instance makes the agent live. */
    Subscription startConsumer(
            AgentId subscriber,
            String group,
            Supplier<List<MemoryStream>> streams,
            DeliveryOptions delivery,
            MessageHandler handler,
            boolean agentInbox) {
        checkOpen();
        MemoryConsumer consumer = new MemoryConsumer(
                this,
                subscriber,
                group,
                streams,
                delivery,
                handler,
                "memory-" + number + "-" + consumerNumbers.incrementAndGet(),
                agentInbox);
        boolean joined;
        synchronized (server) {
            joined = agentInbox && !registry.isLive(subscriber);
            server.consumers.add(consumer);
            consumers.add(consumer);
        }
        if (joined) {
            announcePresence(subscriber, "agent.joined");
        }
        server.pump();
        return consumer;
    }

    void consumerClosed(MemoryConsumer consumer) {
        consumers.remove(consumer);
        if (consumer.consumesInboxOf(consumer.subscriber()) && !registry.isLive(consumer.subscriber())) {
            announcePresence(consumer.subscriber(), "agent.left");
        }
    }

    private void announcePresence(AgentId agent, String type) {
        broadcasts.publish(
                KeySchema.PRESENCE_CHANNEL,
                Envelope.builder()
                        .from(agent)
                        .to(agent)
                        .type(type)
                        .payload(Map.of("agent", agent.value()))
                        .build());
    }

    // Requests

    @Override
    public CompletionStage<Envelope> request(Envelope request, Duration timeout) {
        checkOpen();
        checkRequester(request);
        return requests.request(request, timeout);
    }

    private void checkRequester(Envelope request) {
        AgentId requester = Objects.requireNonNull(request, "request").fromAgent();
        if (consumers.stream().noneMatch(consumer -> consumer.consumesInboxOf(requester))) {
            throw new IllegalStateException("requests from " + requester + " need a subscription of " + requester
                    + " on this bus: the reply comes to its inbox; subscribe it first");
        }
    }

    boolean takeReply(Envelope message) {
        return requests.takeReply(message);
    }

    boolean circuitOpen(AgentId to) {
        return requests.circuitOpen(to);
    }

    @Override
    public Subscription serve(AgentId agent, RequestHandler handler) {
        return subscribe(agent, handler.asMessageHandler());
    }

    @Override
    public MessageHandler idempotent(MessageHandler handler, Duration window) {
        Objects.requireNonNull(handler, "handler");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("idempotency window must be > 0, was " + window);
        }
        return delivery -> {
            String marker = KeySchema.processed(
                    delivery.envelope().toAgent(), delivery.envelope().messageId());
            if (server.marker(marker, server.clock.instant()) != null) {
                return; // handled within the window: acknowledged without running the handler
            }
            handler.handle(delivery);
            server.setMarker(marker, delivery.entryId(), window);
        };
    }

    // Features

    @Override
    public DeadLetters deadLetters(AgentId agent) {
        checkOpen();
        return new MemoryDeadLetters(this, Objects.requireNonNull(agent, "agent"), KeySchema.deadLetters(agent));
    }

    @Override
    public CompletionStage<PublishReceipt> publish(String channel, Envelope message) {
        checkOpen();
        return CompletableFuture.completedFuture(
                broadcasts.publish(channel, Objects.requireNonNull(message, "message")));
    }

    @Override
    public Subscription listen(String channelOrPattern, BroadcastHandler handler) {
        checkOpen();
        Subscription listening = broadcasts.listen(channelOrPattern, Objects.requireNonNull(handler, "handler"));
        listenings.add(listening);
        return listening;
    }

    @Override
    public BroadcastStats broadcastStats() {
        return broadcasts.stats();
    }

    @Override
    public DurableTopic topic(String name) {
        return topic(name, Retention.DEFAULT);
    }

    @Override
    public DurableTopic topic(String name, Retention retention) {
        checkOpen();
        String checked = AgentId.of(name).value(); // the hash tag rule, as on Redis
        return durableTopic(checked, KeySchema.topic(checked), Objects.requireNonNull(retention, "retention"));
    }

    DurableTopic durableTopic(String name, String key, Retention retention) {
        return new MemoryTopic(this, name, key, retention);
    }

    @Override
    public SwarmEvents swarmEvents(String swarm) {
        checkOpen();
        return swarmEvents.computeIfAbsent(swarm, name -> new MemorySwarmEvents(this, name));
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
    public CompletionStage<InboxStats> inbox(AgentId agent) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        synchronized (server) {
            Instant now = server.clock.instant();
            long length = 0;
            long pending = 0;
            Optional<Instant> oldestPending = Optional.empty();
            long unread = 0;
            Optional<Instant> oldestUnread = Optional.empty();
            long overdue = 0;
            boolean groupExists = false;
            for (int priority :
                    new int[] {KeySchema.HIGH_BAND_LOWEST_PRIORITY, KeySchema.NORMAL_BAND_LOWEST_PRIORITY, 1}) {
                MemoryStream band = server.existingStream(KeySchema.inbox(agent, priority));
                if (band == null) {
                    continue;
                }
                length += band.length();
                pending += band.pending(KeySchema.INBOX_GROUP);
                groupExists |= band.hasGroup(KeySchema.INBOX_GROUP);
                for (MemoryStream.Pending held : band.pendingEntries(KeySchema.INBOX_GROUP)) {
                    Instant appended = held.entry.appendedAt();
                    if (oldestPending.isEmpty() || appended.isBefore(oldestPending.get())) {
                        oldestPending = Optional.of(appended);
                    }
                    // Its lease ran out (or its retry came due) and no instance took it back.
                    if (held.claimableAt.isBefore(now)) {
                        overdue++;
                    }
                }
                for (MemoryStream.Entry entry : band.unread(KeySchema.INBOX_GROUP)) {
                    unread++;
                    if (oldestUnread.isEmpty() || entry.appendedAt().isBefore(oldestUnread.get())) {
                        oldestUnread = Optional.of(entry.appendedAt());
                    }
                }
            }
            List<InboxStats.ConsumerStats> instances = server.consumers.stream()
                    .filter(consumer -> consumer.consumesInboxOf(agent))
                    .map(consumer -> consumer.stats(now))
                    .sorted(Comparator.comparing(InboxStats.ConsumerStats::name))
                    .toList();
            long[] counted = server.counters(KeySchema.counters(agent));
            return CompletableFuture.completedFuture(new InboxStats(
                    agent,
                    length,
                    pending,
                    instances,
                    oldestPending.map(at -> Duration.between(at, now)),
                    groupExists,
                    server.deadLetterBox(KeySchema.deadLetters(agent)).size(),
                    server.delayedCount(agent),
                    new InboxStats.Counters(
                            counted[0], counted[1], counted[2], counted[3], counted[4], counted[5], counted[6]),
                    unread,
                    oldestUnread.map(at -> Duration.between(at, now)),
                    overdue));
        }
    }

    @Override
    public CompletionStage<List<StoredEntry>> peek(AgentId agent, InboxEnd end, int limit) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(end, "end");
        synchronized (server) {
            return CompletableFuture.completedFuture(MemoryInboxPeek.entries(server, agent, end, limit));
        }
    }

    @Override
    public CompletionStage<List<PendingEntry>> pendingEntries(AgentId agent, int limit) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        synchronized (server) {
            return CompletableFuture.completedFuture(MemoryInboxPeek.pending(server, agent, limit));
        }
    }

    /** In memory a consumer is listed only while its instance runs, so there is never a dead one to forget. */
    @Override
    public CompletionStage<Boolean> forgetConsumer(AgentId agent, String consumer) {
        checkOpen();
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(consumer, "consumer");
        return CompletableFuture.completedFuture(false);
    }

    // What only a server has

    /** {@code CONNECTED} from the bus's creation until it is closed, then {@code CLOSED}: nothing disconnects in memory. */
    @Override
    public ConnectionState connectionState() {
        return closed
                ? new ConnectionState(ConnectionState.Status.CLOSED, closedAt, 0, 0)
                : new ConnectionState(ConnectionState.Status.CONNECTED, connectedAt, 0, 0);
    }

    /** Empty, unless the options ask for a durability beyond memory, which an in-memory bus cannot give. */
    @Override
    public List<String> serverWarnings() {
        Durability durability = options.send().durability();
        return durability.mode() == Durability.Mode.MEMORY
                ? List.of()
                : List.of("durability " + durability.mode() + " is not honoured: the in-memory bus keeps messages in"
                        + " this JVM only");
    }

    /** @throws UnsupportedOperationException always: an in-memory bus has no Redis server, hence no version */
    @Override
    public RedisVersion serverVersion() {
        throw new UnsupportedOperationException(
                "an in-memory bus has no Redis server and no Redis version; serverSoftware() is \"" + SOFTWARE + "\"");
    }

    @Override
    public String serverSoftware() {
        return SOFTWARE;
    }

    @Override
    public String redisUri() {
        return URI;
    }

    @Override
    public SyncAgentBus sync() {
        return sync;
    }

    // The server's ticks and the handler threads

    /** Under the server's lock, at each tick. */
    void timeOutRequests(Instant now) {
        requests.timeOut(now);
    }

    /** Outside the server's lock, at each tick. */
    void publishDeferredSwarmEvents() {
        swarmEvents.values().forEach(MemorySwarmEvents::drain);
    }

    long deferredSwarmEvents() {
        return swarmEvents.values().stream()
                .mapToLong(MemorySwarmEvents::waiting)
                .sum();
    }

    /** Runs {@code task} on a handler thread; once the bus closed, on a thread of its own, so nothing is lost. */
    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException closedPool) {
            CompletableFuture.runAsync(task);
        }
    }

    /**
     * Stops listening, stops every instance (running handlers finish within the shutdown timeout and
     * settle; they may still send meanwhile), fails the requests still waiting, then refuses every call.
     * Closes the server too when the bus was built alone. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        listenings.forEach(Subscription::close);
        consumers.forEach(MemoryConsumer::close);
        closed = true;
        closedAt = server.clock.instant();
        requests.close();
        executor.shutdown();
        try {
            executor.awaitTermination(options.consumer().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.busClosed(this);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("in-memory bus " + number + " is closed");
        }
    }

    @Override
    public String toString() {
        return "InMemoryAgentBus[" + number + " on " + server + "]";
    }
}
