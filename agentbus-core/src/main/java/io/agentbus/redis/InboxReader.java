package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads many inboxes (the band streams of each, see {@link PriorityBand}) with one blocking
 * {@code XREADGROUP} call on a connection of its own.
 *
 * <p>Each round it first lets every subscription run the reclaim and lease extension that are due
 * ({@link StreamFeed#maintain}), then asks for {@code >} (never-delivered entries) of every
 * inbox whose subscription has room for a full batch ({@link StreamFeed#wantsMore()}), so
 * prefetch bounds the memory and the pending entries one process holds. It blocks at most
 * {@link BusOptions#readBlock()}, and never past the next maintenance that is due; a
 * change of what it should read (a new subscription, a subscription with room again) wakes it
 * earlier with {@code CLIENT UNBLOCK} sent on the command connection. A wake-up that races with
 * the start of the blocking read costs at most one read-block of delay, never a message.
 *
 * <p>Redis errors never end the loop: it backs off (100 ms doubling to 5 s, with jitter) and reads
 * again; Lettuce reconnects underneath. An inbox deleted while read ({@code NOGROUP}) gets its
 * group created again.
 */
final class InboxReader implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(InboxReader.class);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final LuaScript CLAIM = LuaScript.load("claim.lua");

    private final RedisAgentBus bus;
    private final String group;
    private final String consumer;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final BusOptions options;
    private final Map<String, StreamFeed> byInbox = new ConcurrentHashMap<>();
    private final Object wakeSignal = new Object();
    private final Thread thread;
    private volatile long clientId;
    private volatile boolean running = true;
    private volatile boolean wakeRequested;
    private volatile boolean inBlockingRead;

    InboxReader(
            RedisAgentBus bus,
            String name,
            String group,
            String consumer,
            StatefulRedisConnection<String, byte[]> connection,
            BusOptions options) {
        this.bus = bus;
        this.group = group;
        this.consumer = consumer;
        this.connection = connection;
        this.options = options;
        connection.sync().clientSetname("agentbus-reader-" + name);
        this.clientId = bus.clientIdOf(connection);
        this.thread =
                RedisAgentBus.daemonThreads("agentbus-reader-" + name + "-").newThread(this);
        thread.start();
    }

    String consumer() {
        return consumer;
    }

    String group() {
        return group;
    }

    boolean serves(ConsumedStream stream) {
        return byInbox.containsKey(stream.key());
    }

    void add(StreamFeed subscription) {
        byInbox.put(subscription.inbox(), subscription);
        wakeUp();
    }

    void remove(StreamFeed subscription) {
        byInbox.remove(subscription.inbox(), subscription);
        wakeUp();
    }

    /** Makes the loop recompute what it reads now rather than after the current blocking read. */
    void wakeUp() {
        synchronized (wakeSignal) {
            wakeRequested = true;
            wakeSignal.notifyAll();
        }
        if (inBlockingRead && running) {
            bus.commands().clientUnblock(clientId, UnblockType.TIMEOUT);
        }
    }

    /** The read connection came back: a reply lost with the old one may have left entries pending under us, unseen. */
    void reconnected() {
        byInbox.values().forEach(StreamFeed::recoverOwnPending);
        wakeUp();
    }

    boolean owns(Object lettuceConnection) {
        return lettuceConnection == connection;
    }

    void stopReading() {
        running = false;
        wakeUp();
        if (inBlockingRead) {
            bus.commands().clientUnblock(clientId, UnblockType.TIMEOUT);
        }
    }

    void close() {
        stopReading();
        try {
            thread.join(options.readBlock().plus(options.commandTimeout()).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close();
    }

    /** One step of a {@code claim.lua} walk: where to go on ({@code 0-0} when done) and what it claimed. */
    record Claimed(String cursor, long deleted, List<ClaimedEntry> entries) {}

    record ClaimedEntry(String id, int deliveries, Map<String, byte[]> body) {}

    /**
     * Runs one step of a claim walk for {@code subscription} on this reader's connection: entries idle
     * longer than {@code minIdle} ({@code ownOnly} false), or this consumer's own pending entries.
     */
    Claimed claim(StreamFeed subscription, boolean ownOnly, String cursor, Duration minIdle, int count) {
        List<Object> reply = RedisAgentBus.await(
                CLAIM.<String, byte[], List<Object>>run(
                        connection.async(),
                        ScriptOutputType.MULTI,
                        new String[] {subscription.inbox()},
                        bytes(group),
                        bytes(consumer),
                        bytes(ownOnly ? "own" : "idle"),
                        bytes(cursor),
                        bytes(Integer.toString(count)),
                        bytes(Long.toString(minIdle.toMillis()))),
                options.commandTimeout().toMillis(),
                "claim pending entries of " + subscription.inbox());
        List<ClaimedEntry> entries = new ArrayList<>();
        for (Object item : (List<?>) reply.get(2)) {
            List<?> entry = (List<?>) item;
            List<?> flat = (List<?>) entry.get(2);
            Map<String, byte[]> body = new LinkedHashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                body.put(text(flat.get(i)), (byte[]) flat.get(i + 1));
            }
            entries.add(new ClaimedEntry(text(entry.get(0)), ((Long) entry.get(1)).intValue(), body));
        }
        return new Claimed(text(reply.get(0)), (Long) reply.get(1), entries);
    }

    @Override
    public void run() {
        int failures = 0;
        while (running) {
            wakeRequested = false;
            try {
                long now = System.nanoTime();
                long nextDue = now + options.readBlock().toNanos();
                List<StreamFeed> eligible = new ArrayList<>();
                for (StreamFeed subscription : byInbox.values()) {
                    long due = subscription.maintain(now);
                    nextDue = due - nextDue < 0 ? due : nextDue;
                    if (subscription.wantsMore()) {
                        eligible.add(subscription);
                    }
                }
                long blockMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextDue - System.nanoTime()));
                if (eligible.isEmpty()) {
                    awaitWake(blockMillis);
                    continue;
                }
                readOnce(eligible, blockMillis);
                failures = 0;
            } catch (RedisException | AgentBusException e) {
                if (!running) {
                    break;
                }
                if (RedisErrors.hasErrorCode(e, "NOGROUP")) {
                    log.warn("an inbox or its group vanished while read; creating it again: {}", e.getMessage());
                    recreateGroups();
                    continue;
                }
                // A read that failed here (timed out, connection lost) may still have run on the
                // server, leaving entries pending under this consumer that nobody will see: walk them.
                byInbox.values().forEach(StreamFeed::recoverOwnPending);
                failures++;
                long pause = backoff(failures);
                log.warn(
                        "read as {} failed ({} in a row), retrying in {} ms: {}",
                        consumer,
                        failures,
                        pause,
                        e.toString());
                pause(pause);
                refreshClientId();
            } catch (RuntimeException e) {
                // A bug, not Redis: log it loudly, and keep the reader alive.
                log.error("reader {} hit an unexpected error", consumer, e);
                pause(backoff(++failures));
            }
        }
    }

    private void recreateGroups() {
        for (StreamFeed subscription : byInbox.values()) {
            try {
                bus.ensureConsumer(subscription.stream(), consumer);
            } catch (AgentBusException e) {
                log.warn("could not recreate the group of {}: {}", subscription.inbox(), e.getMessage());
            }
        }
    }

    private void readOnce(List<StreamFeed> eligible, long blockMillis) {
        @SuppressWarnings("unchecked")
        XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[eligible.size()];
        int readCount = Integer.MAX_VALUE;
        // Higher priority bands first: Redis answers in the order of the STREAMS arguments.
        eligible.sort(
                Comparator.comparingInt((StreamFeed feed) -> -feed.stream().rank()));
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = XReadArgs.StreamOffset.lastConsumed(eligible.get(i).inbox());
            readCount = Math.min(readCount, eligible.get(i).readCount());
        }
        List<StreamMessage<String, byte[]>> entries;
        inBlockingRead = true;
        try {
            if (wakeRequested || !running) {
                return;
            }
            entries = connection
                    .sync()
                    .xreadgroup(
                            Consumer.from(group, consumer),
                            XReadArgs.Builder.count(readCount).block(blockMillis),
                            offsets);
        } finally {
            inBlockingRead = false;
        }
        for (StreamMessage<String, byte[]> entry : entries) {
            StreamFeed subscription = byInbox.get(entry.getStream());
            if (subscription != null) {
                subscription.accept(entry.getId(), entry.getBody(), 1);
            } else {
                // Closed while the read was in flight: the entry stays pending under this consumer.
                log.debug(
                        "entry {} of {} read after its subscription closed; left pending",
                        entry.getId(),
                        entry.getStream());
            }
        }
    }

    private void awaitWake(long millis) {
        synchronized (wakeSignal) {
            if (!wakeRequested && running) {
                try {
                    wakeSignal.wait(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
    }

    private void refreshClientId() {
        try {
            clientId = bus.clientIdOf(connection);
        } catch (RedisException e) {
            log.debug("could not read client id yet: {}", e.toString());
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object bulk) {
        return new String((byte[]) bulk, StandardCharsets.UTF_8);
    }

    private static long backoff(int failures) {
        long ceiling = Math.min(MAX_BACKOFF_MILLIS, MIN_BACKOFF_MILLIS << Math.min(failures - 1, 16));
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    private void pause(long millis) {
        synchronized (wakeSignal) {
            try {
                if (running) {
                    wakeSignal.wait(millis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }
}
