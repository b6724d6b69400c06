package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.Retention;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.protocol.KeySchema;
import io.agentbus.swarm.SwarmMessenger;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SwarmMessenger} on the inbox machinery. A send is {@code send.lua} on
 * {@code message:<from>:{<to>}} with the receivers' part (the senders index and the group, see
 * {@link Sender.Receivers}), followed by {@code trim.lua} with the history bound, pipelined
 * behind it. A receiver is one {@link ConsumerInstance} of group {@code swarm} that starts with a
 * stream per known sender and gains one per sender that appears in the index later; the streams of
 * all receivers of a process share one reader lane, so receiving costs one connection however many
 * swarms and senders there are.
 */
final class RedisSwarmMessenger implements SwarmMessenger {

    private static final Logger log = LoggerFactory.getLogger(RedisSwarmMessenger.class);

    private final Sender sender;
    private final ReaderLanes lanes;
    private final StreamScripts scripts;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final BusThreads threads;
    private final BusOptions options;
    private final Retention history;
    private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();

    RedisSwarmMessenger(
            Sender sender,
            ReaderLanes lanes,
            StreamScripts scripts,
            RedisClusterAsyncCommands<String, String> commands,
            BusThreads threads,
            BusOptions options) {
        this.sender = sender;
        this.lanes = lanes;
        this.scripts = scripts;
        this.commands = commands;
        this.threads = threads;
        this.options = options;
        this.history = Retention.maxLength(options.swarm().messageHistory());
    }

    @Override
    public CompletionStage<SendReceipt> send(Envelope message) {
        sender.checkPayload(message);
        String from = message.fromAgent().value();
        String to = message.toAgent().value();
        String key = KeySchema.swarmMessages(from, to);
        CompletionStage<SendReceipt> stored = sender.append(
                key,
                KeySchema.streamDedup(key, message.messageId()),
                message,
                "",
                0,
                new Sender.Receivers(KeySchema.swarmSenders(to), from, KeySchema.MESSENGER_GROUP));
        // Every send, not every TRIM_EVERY as a topic: the history is small, and its bound is the point.
        CompletionStage<Long> trimmed = scripts.trim(key, history).exceptionally(failure -> {
            log.warn("could not trim {}: {}", key, failure.toString());
            return 0L;
        });
        return stored.thenCombine(trimmed, (receipt, removed) -> receipt);
    }

    @Override
    public CompletionStage<SendReceipt> send(String fromSwarm, String toSwarm, String type, String payload) {
        return send(Envelope.builder()
                .from(fromSwarm)
                .to(toSwarm)
                .type(type)
                .payload(payload)
                .build());
    }

    @Override
    public Subscription receive(String toSwarm, MessageHandler handler) {
        String to = check(toSwarm);
        Receiver receiver = new Receiver(to);
        if (receivers.putIfAbsent(to, receiver) != null) {
            throw new IllegalStateException("this bus already runs a receiver of swarm " + to
                    + "; close it first, or receive in another process");
        }
        try {
            List<ConsumedStream> streams = senders(to).stream()
                    .map(from -> ConsumedStream.swarmMessages(from, to))
                    .toList();
            receiver.start(
                    lanes.start(AgentId.of(to), KeySchema.MESSENGER_GROUP, streams, options.delivery(), handler),
                    streams);
            return receiver;
        } catch (RuntimeException e) {
            receivers.remove(to, receiver);
            throw e;
        }
    }

    @Override
    public List<Entry> history(String fromSwarm, String toSwarm, int limit) {
        String key = KeySchema.swarmMessages(check(fromSwarm), check(toSwarm));
        List<StreamMessage<String, String>> newestFirst = await(
                commands.xrevrange(key, Range.create("-", "+"), Limit.from(positive(limit))), "read history of " + key);
        List<Entry> entries = decode(newestFirst);
        Collections.reverse(entries);
        return entries;
    }

    @Override
    public List<Entry> historyAfter(String fromSwarm, String toSwarm, String afterEntryId, int limit) {
        String key = KeySchema.swarmMessages(check(fromSwarm), check(toSwarm));
        return decode(await(
                commands.xrange(
                        key,
                        Range.from(Range.Boundary.excluding(afterEntryId), Range.Boundary.unbounded()),
                        Limit.from(positive(limit))),
                "read history of " + key));
    }

    @Override
    public Set<String> senders(String toSwarm) {
        return new TreeSet<>(
                await(commands.smembers(KeySchema.swarmSenders(check(toSwarm))), "read senders of " + toSwarm));
    }

    private List<Entry> decode(List<StreamMessage<String, String>> stored) {
        List<Entry> entries = new ArrayList<>();
        for (StreamMessage<String, String> entry : stored) {
            Map<String, byte[]> body = new LinkedHashMap<>();
            entry.getBody().forEach((field, value) -> body.put(field, value.getBytes(StandardCharsets.UTF_8)));
            if (EnvelopeCodec.decode(body, options.send().maxPayloadBytes()) instanceof EnvelopeCodec.Valid valid) {
                entries.add(new Entry(entry.getId(), valid.envelope()));
            } else {
                log.debug("history entry {} of {} is not a valid envelope; left out", entry.getId(), entry.getStream());
            }
        }
        return entries;
    }

    /**
     * A running receiver of one swarm: its subscription, and the senders whose streams it reads. It
     * looks in the senders index every {@link #SENDER_CHECK_MILLIS} ms until closed.
     */
    private final class Receiver implements Subscription {

        private final String to;
        private final Set<String> known = ConcurrentHashMap.newKeySet();
        private volatile ConsumerInstance subscription;
        private volatile boolean closed;

        Receiver(String to) {
            this.to = to;
        }

        void start(ConsumerInstance subscription, List<ConsumedStream> streams) {
            this.subscription = subscription;
            streams.forEach(stream -> known.add(stream.key()));
            checkSendersLater();
        }

        private void checkSendersLater() {
            threads.timer().schedule(this::findSenders, SENDER_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }

        /** Reads the senders index without blocking; only a new sender's stream costs a blocking step (its consumer). */
        private void findSenders() {
            if (closed || subscription.isClosing()) {
                return; // closed through the bus, or by its own handler
            }
            // On the handler pool: off Redis's I/O thread and the timer, since adding a stream waits for Redis.
            commands.smembers(KeySchema.swarmSenders(to))
                    .whenCompleteAsync(
                            (senders, failure) -> {
                                try {
                                    if (failure != null) {
                                        log.warn(
                                                "receiver of swarm {} could not look for new senders; trying again: {}",
                                                to,
                                                failure.toString());
                                        return;
                                    }
                                    for (String from : senders) {
                                        ConsumedStream stream = ConsumedStream.swarmMessages(from, to);
                                        if (!known.contains(stream.key())) {
                                            subscription.addStream(stream);
                                            known.add(stream.key());
                                            log.debug("receiver of swarm {} found sender {}", to, from);
                                        }
                                    }
                                } catch (RuntimeException e) {
                                    log.warn(
                                            "receiver of swarm {} could not add a new sender; trying again: {}",
                                            to,
                                            e.toString());
                                } finally {
                                    checkSendersLater();
                                }
                            },
                            threads.handlerPool());
        }

        @Override
        public String consumer() {
            return subscription.consumer();
        }

        @Override
        public void close() {
            closed = true;
            receivers.remove(to, this);
            subscription.close();
        }

        @Override
        public String toString() {
            return "SwarmReceiver{" + to + " as " + consumer() + '}';
        }
    }

    private <T> T await(CompletionStage<T> stage, String action) {
        return Await.result(stage, options.connection().commandTimeout().toMillis(), action);
    }

    private static String check(String swarm) {
        return AgentId.of(swarm).value(); // a swarm id is a hash tag: the agent id rule
    }

    private static int positive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return limit;
    }
}
