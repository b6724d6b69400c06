package io.agentbus;

import io.agentbus.audit.AuditTrail;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.BroadcastStats;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.protocol.RedisVersion;
import io.agentbus.redis.RedisBackend;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.Swarms;
import java.util.concurrent.CompletionStage;

/**
 * The message bus: durable direct messages between agents over Redis.
 *
 * <pre>{@code
 * try (AgentBus bus = AgentBus.connect("redis://localhost:6379")) {
 *     bus.subscribe(AgentId.of("copywriter"), delivery -> write(delivery.envelope().payload()));
 *     bus.sync().send(Envelope.builder().from("cmo").to("copywriter").type("task_assignment")
 *             .payload("{\"brief\":\"launch post\"}").build());
 * }
 * }</pre>
 *
 * <p>A bus is thread-safe and costly: it holds the Redis connections, a reader thread and the handler
 * threads of the process. Create one per process and share it; the number of connections stays the
 * same however many agents subscribe.
 */
public interface AgentBus extends AutoCloseable {

    /** Connects with {@link BusOptions#defaults()}; see {@link #connect(String, BusOptions)}. */
    static AgentBus connect(String uri) {
        return connect(uri, BusOptions.defaults());
    }

    /**
     * Connects to Redis at {@code uri}: {@code redis://[user:password@]host[:port][/db]},
     * {@code rediss://} for TLS ({@link TlsOptions}: CA, client certificate, verification), or {@code redis-sentinel://[password@]h1:p1[,h2:p2…][/db]#master} for a
     * Sentinel-managed master, which the bus follows through failovers (every connection asks the
     * sentinels for the master when it reconnects), or {@code redis-cluster://[user:password@]h1:p1[,h2:p2…]}
     * for a Redis Cluster named by some of its nodes: each command goes to the master of its key's slot,
     * the topology is refreshed periodically and on redirections, and an idle agent's inbox is polled
     * (up to once a second) rather than waited on with a blocking read. Reads the server's version (on a
     * cluster, every master's) and refuses servers older than {@link RedisVersion#MINIMUM}.
     *
     * @throws BusUnavailableException if Redis cannot be reached; the subclass in {@link io.agentbus.connect}
     *                                  says why: refused, timed out (within
     *                                  {@link ConnectionOptions#connectTimeout()}) or host not found
     * @throws BusAuthException        if Redis refuses the credentials; the subclass in {@link io.agentbus.connect}
     *                                  says why: wrong password, user rejected or password required
     * @throws io.agentbus.connect.BusTlsException if the TLS handshake fails; its subclass says why: certificate
     *                                  not trusted, hostname mismatch, client certificate required, plaintext
     *                                  to a TLS port or TLS to a plaintext port
     * @throws IllegalArgumentException if the URI cannot be parsed, TLS options are set for a plaintext URI, the
     *                                  URI's {@code verifyPeer} is weaker than {@link TlsOptions#verifyPeer()}, or
     *                                  a TLS or password file cannot be read
     */
    static AgentBus connect(String uri, BusOptions options) {
        return RedisBackend.connect(uri, options, () -> {});
    }

    /**
     * Starts a private Redis ({@code io.agentbus.embedded.LocalRedis}) and connects to it; see
     * {@link #embedded(BusOptions)}.
     */
    static AgentBus embedded() {
        return embedded(BusOptions.defaults());
    }

    /**
     * Starts a private {@code redis-server} on a free loopback port
     * ({@code io.agentbus.embedded.LocalRedis.start()}) and connects to it. Closing the bus stops that
     * server and deletes its data: this is for demos and trials, not for messages that must outlive
     * the process. Needs the artifact {@code io.agentbus:agentbus-embedded} on the classpath.
     *
     * @throws IllegalStateException if {@code io.agentbus:agentbus-embedded} is not on the classpath
     */
    static AgentBus embedded(BusOptions options) {
        return RedisBackend.embedded(options);
    }

    /**
     * Appends the envelope to the recipient's inbox ({@code agent:{to}:inbox}), once per message id
     * within {@link SendOptions#dedupWindow()}: the dedup marker and the append are one Lua script, so a
     * retried send stores one entry and reports {@link SendReceipt#duplicate()}. The stage completes
     * when Redis has stored the entry (or found the duplicate), or fails with
     * {@link BusUnavailableException} or another {@link AgentBusException}.
     *
     * @throws InvalidEnvelopeException at once, before any Redis call, if the payload is larger than
     *                                  {@link SendOptions#maxPayloadBytes()}
     * @throws IllegalStateException    if the bus is closed
     */
    CompletionStage<SendReceipt> send(Envelope envelope);

    /**
     * Delivers {@code envelope} into the recipient's inbox at {@code deliverAt}, not before. Until
     * then it waits in the agent's delayed set ({@code agent:{id}:delayed}), which survives restarts
     * with the server's persistence; running instances of the agent move due messages into the inbox
     * atomically (each exactly once, however many run the mover). Deduplicated like a send; the
     * receipt's entry id is empty, as there is no inbox entry yet.
     */
    CompletionStage<SendReceipt> send(Envelope envelope, java.time.Instant deliverAt);

    /** Like {@link #send(Envelope, java.time.Instant)}, {@code delay} from now. */
    CompletionStage<SendReceipt> send(Envelope envelope, java.time.Duration delay);

    /**
     * Starts one instance of {@code agent}: a consumer of its inbox that hands each message to
     * {@code handler}. Creates the inbox and its consumer group if they do not exist; messages sent
     * before the first subscription are delivered too. Several subscriptions of one agent, in this
     * process or others, compete for the inbox's messages.
     *
     * @throws BusUnavailableException if Redis cannot be reached
     * @throws IllegalStateException   if the bus is closed
     */
    Subscription subscribe(AgentId agent, MessageHandler handler);

    /**
     * Sends {@code request} and completes with the reply: the first message to arrive in the
     * requester's inbox ({@code from_agent}) whose {@code correlation_id} is the request's message id.
     * The bus sets {@code reply_to} to the requester unless given. The requester must have a
     * subscription on this bus, since the reply comes to its durable inbox (and so survives a
     * reconnect); the subscription's handler never sees the reply.
     *
     * <p>Fails with {@link RecipientUnavailableException} ({@code NO_RESPONDERS}) at once when the recipient never had a running
     * instance, and with {@link RequestTimeoutException} after {@code timeout}.
     *
     * @throws IllegalStateException if the requester has no subscription on this bus
     */
    CompletionStage<Envelope> request(Envelope request, java.time.Duration timeout);

    /**
     * Sends {@code request} up an escalation chain: to {@code chain[0]} first; if it does not reply
     * within {@code deadlinePerLevel}, or replies with {@code "escalate": true} in its payload, to the
     * next level, and so on. Each level gets the request as a new message (id {@code <id>.e<level>})
     * whose {@code escalation_path} field lists the levels passed, and each escalation is recorded as
     * a decision in the audit trail. Completes with the first real reply, or fails with the last
     * level's {@link RequestTimeoutException}.
     */
    default CompletionStage<Envelope> escalate(
            Envelope request, java.util.List<AgentId> chain, java.time.Duration deadlinePerLevel) {
        return Escalation.escalate(this, request, chain, deadlinePerLevel);
    }

    /** Starts an instance of {@code agent} that answers each message with what {@code handler} returns. */
    Subscription serve(AgentId agent, RequestHandler handler);

    /** Like {@link #subscribe(AgentId, MessageHandler)}, with this instance's own delivery settings. */
    Subscription subscribe(AgentId agent, DeliveryOptions delivery, MessageHandler handler);

    /**
     * Wraps {@code handler} so that a message id it already handled for the same agent within
     * {@code window} is acknowledged without running it again: the helper for the duplicates that
     * at-least-once delivery allows. The marker ({@code agent:{id}:processed:<message_id>}) is set
     * after the handler returns, so a crash between the two can still run it twice; keep the
     * handler's own effects idempotent where that matters.
     */
    MessageHandler idempotent(MessageHandler handler, java.time.Duration window);

    /**
     * Publishes an ephemeral broadcast on a Redis Pub/Sub channel, e.g. {@code events:content:created}:
     * only the subscribers listening right now receive it. The receipt says how many did (0: nobody,
     * counted as a loss) and carries this publisher's sequence number on the channel, which lets
     * subscribers count what they missed. For messages that must reach a group that is offline, use
     * a {@link #topic durable topic}.
     */
    CompletionStage<PublishReceipt> publish(String channel, Envelope message);

    /**
     * Listens to a channel, or a glob pattern ({@code events:content:*}) when it contains
     * {@code * ? [}. Restored after every reconnect; a broadcast published during the outage is
     * missed and counted in {@link BroadcastStats#gaps()}. No filtering: a bus also hears its own
     * broadcasts.
     */
    Subscription listen(String channelOrPattern, BroadcastHandler handler);

    /** Published, unheard, received, missed (gaps) and malformed broadcasts of this bus. */
    BroadcastStats broadcastStats();

    /** The durable topic {@code topic:{name}} with {@link Retention#DEFAULT}; the name follows the agent id rule. */
    DurableTopic topic(String name);

    /** The durable topic {@code topic:{name}} with its retention. */
    DurableTopic topic(String name, Retention retention);

    /** The event bus of {@code swarm}: {@code event:{swarm}:<type>} channels with priority bypass. */
    SwarmEvents swarmEvents(String swarm);

    /** Swarm state with optimistic concurrency, checkpoints, coordinators and recovery. */
    Swarms swarms();

    /** Agent cards, presence, and lookups by capability. */
    AgentRegistry registry();

    /** The audit trail: sends, outcomes, redrives and decisions; tail and filter it. */
    AuditTrail audit();

    /** The dead letters of {@code agent}: list, inspect, redrive, purge. */
    DeadLetters deadLetters(AgentId agent);

    /**
     * The figures of an agent's inbox: retained entries, the backlog (unread) and its oldest age, pending
     * entries and their oldest age, overdue ones, consumers, dead letters, delayed messages and counters.
     * Judged with this bus's {@link DeliveryOptions#visibilityTimeout()}, which should be the agent's.
     */
    CompletionStage<InboxStats> inbox(AgentId agent);

    /** The most entries one {@link #peek} or {@link #pendingEntries} call returns. */
    int MAX_PEEK_LIMIT = 1000;

    /**
     * The {@code limit} oldest (oldest first) or newest (newest first) entries retained in {@code agent}'s inbox,
     * over its three band streams, without consuming them: nothing is delivered, acknowledged or changed, and no
     * key is created ({@code XRANGE}/{@code XREVRANGE}, and {@code XINFO GROUPS} for {@link StoredEntry#unread()}).
     * Entries stay in the inbox after they were handled, until it is trimmed. Empty for an agent without an inbox.
     *
     * @throws IllegalArgumentException if {@code limit} is not 1 to {@link #MAX_PEEK_LIMIT}
     */
    CompletionStage<java.util.List<StoredEntry>> peek(AgentId agent, InboxEnd end, int limit);

    /**
     * Up to {@code limit} entries of {@code agent}'s inbox that are delivered and not settled, over its three
     * bands, oldest first, each with the instance that holds it ({@code XPENDING} with a range). Changes nothing;
     * empty when nobody ever subscribed.
     *
     * @throws IllegalArgumentException if {@code limit} is not 1 to {@link #MAX_PEEK_LIMIT}
     */
    CompletionStage<java.util.List<PendingEntry>> pendingEntries(AgentId agent, int limit);

    /**
     * Removes {@code consumer} from {@code agent}'s inbox group if it holds nothing pending (checked
     * atomically, so nothing is ever lost from the pending entries). For operators: a running instance of the
     * agent sweeps the consumers of ended instances by itself, but an agent with none running keeps them
     * listed. A consumer whose instance still reads is created again by its next read.
     *
     * @return whether the consumer was there and was removed
     */
    CompletionStage<Boolean> forgetConsumer(AgentId agent, String consumer);

    /** The state of the connection to Redis now; see also {@link BusOptions#listener()}. */
    ConnectionState connectionState();

    /**
     * What the start-up check found wrong with the server for this bus: a durability it cannot
     * honour, an eviction policy that may drop markers, a configuration it could not read. Empty when
     * all is well. Each was also logged as a warning.
     */
    java.util.List<String> serverWarnings();

    /**
     * The Redis version of the server, read when the bus connected: what decides which commands it has.
     * For Valkey, the Redis version it is compatible with ({@code redis_version}); {@link #serverSoftware()}
     * says which server it really is.
     */
    RedisVersion serverVersion();

    /** The server as it names itself: {@code "Redis 7.0.15"}, {@code "Valkey 8.0.1"}. */
    String serverSoftware();

    /** The Redis URI the bus is connected to, without its password. */
    String redisUri();

    /** A blocking view of this bus. */
    SyncAgentBus sync();

    /**
     * Stops reading, lets running handlers finish within {@link ConsumerOptions#shutdownTimeout()} (they
     * may still send meanwhile: a reply, a message to the next agent), acknowledges what finished, then
     * refuses every call and closes the connections. Idempotent; throws nothing checked.
     */
    @Override
    void close();
}
