package io.agentbus.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.BroadcastStats;
import io.agentbus.broadcast.PublishReceipt;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ephemeral broadcast on Redis Pub/Sub. A message is the envelope's wire fields as one JSON object
 * (string values, as in a stream entry) plus {@code publisher} and {@code sequence}: the publisher's
 * id and its counter on the channel, from which each listening counts the messages it missed.
 *
 * <p>Listening uses one pub/sub connection per bus, opened on first use. Lettuce subscribes again
 * after a reconnect, and so does this class, explicitly ({@link #resubscribe()}), so a listening
 * never silently ends. Handlers run on the handler pool, serially per listening, never on the
 * Netty thread that received the message. PUBLISH goes on the command connection (it never blocks).
 *
 * <p>On a cluster, classic pub/sub (not sharded: {@code SPUBLISH} would reach only the subscribers
 * of the channel's slot's master and its replicas) is forwarded by the cluster bus to every node, so
 * a listening hears a {@code PUBLISH} whichever node its pub/sub connection (Lettuce's cluster pub/sub
 * connection: one node, chosen by Lettuce) and the publisher's command (routed by Lettuce to the
 * master of the channel's slot) are on ({@code ClusterBroadcastIT}). But {@code PUBLISH} then replies
 * with the subscribers of that node only: a reply of 0 does not mean that nobody heard, so it is not
 * counted as {@code unheard} there.
 */
final class Broadcasts extends RedisPubSubAdapter<String, String> {

    private static final Logger log = LoggerFactory.getLogger(Broadcasts.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};
    private static final Pattern CHANNEL = Pattern.compile("[!-~]{1,256}");
    static final String PUBLISHER = "publisher";
    static final String SEQUENCE = "sequence";

    private final Supplier<StatefulRedisPubSubConnection<String, String>> connector;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final Executor pool;
    private final String publisherId;
    private final BusMetrics metrics;
    private final boolean publishCountsEverySubscriber;
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final Map<String, List<Listening>> listenings = new ConcurrentHashMap<>();
    private final LongAdder published = new LongAdder();
    private final LongAdder unheard = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    /** What listenings that were closed received and missed, kept for the stats. */
    private final LongAdder closedReceived = new LongAdder();

    private volatile boolean closing;

    private final LongAdder closedGaps = new LongAdder();
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;

    Broadcasts(
            Supplier<StatefulRedisPubSubConnection<String, String>> connector,
            RedisClusterAsyncCommands<String, String> commands,
            Executor pool,
            String publisherId,
            BusMetrics metrics,
            boolean cluster) {
        this.connector = connector;
        this.publishCountsEverySubscriber = !cluster;
        this.metrics = metrics;
        this.commands = commands;
        this.pool = pool;
        this.publisherId = publisherId;
    }

    CompletionStage<PublishReceipt> publish(String channel, Envelope message) {
        checkChannel(channel);
        long sequence =
                sequences.computeIfAbsent(channel, c -> new AtomicLong()).incrementAndGet();
        Map<String, String> fields = new LinkedHashMap<>(EnvelopeCodec.encode(message));
        fields.put(PUBLISHER, publisherId);
        fields.put(SEQUENCE, Long.toString(sequence));
        String json;
        try {
            json = JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is always JSON", e);
        }
        return RedisErrors.mapped(
                commands.publish(channel, json).thenApply(receivers -> {
                    published.increment();
                    boolean unheardForSure = receivers == 0 && publishCountsEverySubscriber;
                    metrics.broadcastPublished(channel, receivers, unheardForSure);
                    if (unheardForSure) {
                        unheard.increment();
                    }
                    return new PublishReceipt(message.messageId(), channel, sequence, receivers);
                }),
                "publish " + message.messageId() + " on " + channel);
    }

    Subscription listen(String channelOrPattern, BroadcastHandler handler) {
        checkChannel(channelOrPattern);
        Listening listening = new Listening(channelOrPattern, handler, new SerialExecutor(pool));
        boolean first;
        synchronized (this) {
            List<Listening> onChannel = listenings.computeIfAbsent(channelOrPattern, c -> new CopyOnWriteArrayList<>());
            first = onChannel.isEmpty();
            onChannel.add(listening);
        }
        if (first) {
            Await.result(subscribe(connection(), channelOrPattern), 10_000, "subscribe to " + channelOrPattern);
        }
        return listening;
    }

    /** Subscribes again to every channel and pattern: after a reconnect of the pub/sub connection. */
    void resubscribe() {
        StatefulRedisPubSubConnection<String, String> current = pubsub;
        if (current == null) {
            return;
        }
        for (String channel : listenings.keySet()) {
            subscribe(current, channel).whenComplete((done, failure) -> {
                if (failure != null) {
                    log.warn(
                            "could not subscribe to {} again; Lettuce retries with the next reconnect: {}",
                            channel,
                            failure.toString());
                }
            });
        }
    }

    boolean owns(Object connection) {
        return connection == pubsub;
    }

    BroadcastStats stats() {
        long received = 0;
        long gaps = 0;
        for (List<Listening> onChannel : listenings.values()) {
            for (Listening listening : onChannel) {
                received += listening.received.sum();
                gaps += listening.gaps.sum();
            }
        }
        return new BroadcastStats(
                published.sum(),
                unheard.sum(),
                received + closedReceived.sum(),
                gaps + closedGaps.sum(),
                malformed.sum());
    }

    /** Whether {@link #close()} began: the pub/sub connection's end is then expected. */
    boolean isClosing() {
        return closing;
    }

    void close() {
        closing = true;
        if (pubsub != null) {
            pubsub.close();
        }
    }

    @Override
    public void message(String channel, String message) {
        dispatch(channel, channel, message);
    }

    @Override
    public void message(String pattern, String channel, String message) {
        dispatch(pattern, channel, message);
    }

    private void dispatch(String subscribedAs, String channel, String json) {
        List<Listening> onChannel = listenings.get(subscribedAs);
        if (onChannel == null || onChannel.isEmpty()) {
            return;
        }
        Map<String, String> fields;
        try {
            fields = JSON.readValue(json, FIELDS);
        } catch (JsonProcessingException e) {
            malformed.increment();
            log.warn("broadcast on {} is not a JSON object of strings; skipped: {}", channel, e.getOriginalMessage());
            return;
        }
        String publisher = fields.remove(PUBLISHER);
        String sequence = fields.remove(SEQUENCE);
        EnvelopeCodec.Decoded decoded = EnvelopeCodec.decodeText(fields);
        if (decoded instanceof EnvelopeCodec.Malformed bad) {
            malformed.increment();
            log.warn(
                    "broadcast on {} is not a valid envelope ({} {}: {}); skipped",
                    channel,
                    bad.reason().code(),
                    bad.field(),
                    bad.detail());
            return;
        }
        Envelope message = ((EnvelopeCodec.Valid) decoded).envelope();
        long number = parseSequence(sequence);
        for (Listening listening : onChannel) {
            listening.deliver(channel, message, publisher, number);
        }
    }

    private StatefulRedisPubSubConnection<String, String> connection() {
        StatefulRedisPubSubConnection<String, String> current = pubsub;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (pubsub == null) {
                StatefulRedisPubSubConnection<String, String> opened = connector.get();
                opened.addListener(this);
                pubsub = opened;
            }
            return pubsub;
        }
    }

    private static CompletionStage<Void> subscribe(
            StatefulRedisPubSubConnection<String, String> connection, String channelOrPattern) {
        return isPattern(channelOrPattern)
                ? connection.async().psubscribe(channelOrPattern)
                : connection.async().subscribe(channelOrPattern);
    }

    private synchronized void unlisten(Listening listening) {
        List<Listening> onChannel = listenings.get(listening.channel);
        if (onChannel == null || !onChannel.remove(listening)) {
            return;
        }
        closedReceived.add(listening.received.sum());
        closedGaps.add(listening.gaps.sum());
        if (onChannel.isEmpty()) {
            listenings.remove(listening.channel);
            if (pubsub != null) {
                if (isPattern(listening.channel)) {
                    pubsub.async().punsubscribe(listening.channel);
                } else {
                    pubsub.async().unsubscribe(listening.channel);
                }
            }
        }
    }

    static boolean isPattern(String channel) {
        return channel.indexOf('*') >= 0 || channel.indexOf('?') >= 0 || channel.indexOf('[') >= 0;
    }

    private static void checkChannel(String channel) {
        if (channel == null || !CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException(
                    "channel must be 1-256 printable ASCII characters without spaces, was '" + channel + "'");
        }
    }

    private static long parseSequence(String sequence) {
        try {
            return sequence == null ? 0 : Long.parseLong(sequence);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One {@code listen} call: its handler, its serial executor, and per publisher the last sequence seen. */
    private final class Listening implements Subscription {
        private final String channel;
        private final BroadcastHandler handler;
        private final Executor serial;
        private final Map<String, Long> lastSequence = new ConcurrentHashMap<>();
        private final LongAdder received = new LongAdder();
        private final LongAdder gaps = new LongAdder();
        private final AtomicBoolean closed = new AtomicBoolean();

        Listening(String channel, BroadcastHandler handler, Executor serial) {
            this.channel = channel;
            this.handler = handler;
            this.serial = serial;
        }

        void deliver(String on, Envelope message, String publisher, long sequence) {
            if (publisher != null && sequence > 0) {
                // Per publisher and channel: a pattern listening hears several channels.
                Long last = lastSequence.put(publisher + '\n' + on, sequence);
                if (last != null && sequence > last + 1) {
                    gaps.add(sequence - last - 1);
                    metrics.sequenceGaps(on, sequence - last - 1);
                }
            }
            received.increment();
            metrics.broadcastReceived(on);
            serial.execute(() -> {
                try {
                    handler.handle(on, message);
                } catch (Exception | LinkageError | AssertionError e) {
                    log.warn("broadcast handler on {} failed on {}; listening goes on", on, message.messageId(), e);
                }
            });
        }

        /** The channel or pattern listened to. */
        @Override
        public String consumer() {
            return channel;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                unlisten(this);
            }
        }
    }
}
