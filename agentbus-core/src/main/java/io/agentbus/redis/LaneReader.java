package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusOptions;
import io.lettuce.core.RedisException;
import io.lettuce.core.UnblockType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reader lane: reads many consumed streams (inbox bands, durable topics, swarm message streams)
 * of one consumer group, as one consumer, on a connection of its own: while entries keep coming, each
 * stream whose last read found some with {@code read.lua} (bounded by count and bytes, an entry too large
 * to hold left for dead letters unread) and the others with one {@code XREADGROUP COUNT 1} that does not
 * block; when all are drained, with one blocking {@code XREADGROUP COUNT 1} over all of them.
 *
 * <p>Each round it first runs the maintenance that is due: each feed's reclaim and lease extension
 * ({@link StreamFeed#maintain}) and each instance's upkeep ({@link Upkeep}: presence heartbeat,
 * moving due delayed messages). Then it asks for {@code >} (never-delivered entries) of every stream
 * whose instance has room to read again and is under its byte budget ({@link StreamFeed#wantsMore()}),
 * so prefetch and {@code maxQueuedBytes} bound the memory and the pending entries one process holds. It blocks at most {@link BusOptions#readBlock()},
 * and never past the next maintenance that is due; a change of what it should read (a new
 * subscription, a subscription with room again) wakes it earlier with {@code CLIENT UNBLOCK} sent on
 * the command connection. A wake-up that races with the start of the blocking read costs at most one
 * read-block of delay, never a message.
 *
 * <p>On a cluster the blocking read cannot be: one {@code XREADGROUP} naming the streams of agents
 * in different slots fails with {@code CROSSSLOT}. There the lane polls instead: {@code read.lua}
 * per stream (each routed to the master of its slot), and when a round finds nothing it waits
 * {@link #MIN_POLL_MILLIS}, doubling while idle up to {@link #MAX_POLL_MILLIS}, back to the minimum
 * as soon as a round finds entries or something wakes the lane. That costs one script call per
 * stream per round while idle (docs/adr/0002-reading-on-a-cluster.md); a doorbell that wakes the poll
 * is the next step.
 *
 * <p>Redis errors never end the loop: it backs off (100 ms doubling to 5 s, with jitter) and reads
 * again; Lettuce reconnects underneath. A stream deleted while read ({@code NOGROUP}) gets its group
 * created again.
 */
final class LaneReader implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(LaneReader.class);
    /** Keys and names as text, values as bytes: a payload is decoded (and checked) on the handler's thread. */
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** The poll of an idle lane on a cluster: the first wait after a round that found nothing. */
    static final long MIN_POLL_MILLIS = 50;
    /** The poll of an idle lane on a cluster: the longest wait, reached after about five idle rounds. */
    static final long MAX_POLL_MILLIS = 1_000;

    private final String group;
    private final String consumer;
    private final RedisLink<String, byte[]> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final StreamScripts scripts;
    private final BusMetrics metrics;
    private final BusOptions options;
    private final Map<String, StreamFeed> byStream = new ConcurrentHashMap<>();
    private final Set<Upkeep> upkeep = ConcurrentHashMap.newKeySet();
    /** Reader thread only: the feeds and upkeep whose maintenance failed, and until when each waits. */
    private final Map<Upkeep, Backoff> failingMaintenance = new ConcurrentHashMap<>();
    /** Reader thread only: streams left out of the reads because their key is not a stream any more. */
    private final Map<StreamFeed, Backoff> unreadable = new ConcurrentHashMap<>();

    private final Object wakeSignal = new Object();
    /** On a cluster: poll with non-blocking reads instead of one blocking read over every stream. */
    private final boolean polls;
    /** Reader thread only, when polling: how long the next idle wait lasts. */
    private long pollMillis = MIN_POLL_MILLIS;
    /** Reader thread only, when polling: when the next read of every stream is due. */
    private long nextPollNanos = System.nanoTime();

    private final Thread thread;
    private volatile long clientId;
    private volatile boolean running = true;
    private volatile boolean wakeRequested;
    private volatile boolean inBlockingRead;
    /**
     * The streams added since they were last eligible: read with {@code read.lua} first, so that what
     * waits when an instance starts is read within the byte budget and highest band first (a read of one
     * entry per stream would hand its handler a lower band's first entry before a higher band's second).
     */
    private final Set<StreamFeed> unread = ConcurrentHashMap.newKeySet();
    /**
     * Reader thread only: the streams whose last read found entries. While there are some, the lane reads
     * them with {@code read.lua} and the others without blocking; when there are none, it blocks.
     */
    private Set<StreamFeed> backlogged = Set.of();

    /**
     * Starts the lane's thread.
     *
     * @param connection the lane's own blocking-read connection (named already), closed with the lane;
     *                   on a cluster the lane polls on it instead of blocking
     * @param commands   the shared command connection, for {@code CLIENT UNBLOCK}
     */
    LaneReader(
            String name,
            String group,
            String consumer,
            RedisLink<String, byte[]> connection,
            RedisClusterAsyncCommands<String, String> commands,
            StreamScripts scripts,
            BusMetrics metrics,
            BusOptions options) {
        this.group = group;
        this.consumer = consumer;
        this.connection = connection;
        this.commands = commands;
        this.scripts = scripts;
        this.metrics = metrics;
        this.options = options;
        this.polls = connection.isCluster();
        this.clientId = polls ? 0 : connection.sync().clientId();
        this.thread = BusThreads.daemonThreads("agentbus-reader-" + name + "-").newThread(this);
        thread.start();
    }

    String consumer() {
        return consumer;
    }

    String group() {
        return group;
    }

    RedisLink<String, byte[]> connection() {
        return connection;
    }

    /** Whether the lane polls (on a cluster) rather than blocking in one read over all its streams. */
    boolean polls() {
        return polls;
    }

    boolean serves(ConsumedStream stream) {
        return byStream.containsKey(stream.key());
    }

    void add(StreamFeed feed) {
        unread.add(feed);
        byStream.put(feed.key(), feed);
        wakeUp();
    }

    void remove(StreamFeed feed) {
        byStream.remove(feed.key(), feed);
        unread.remove(feed);
        failingMaintenance.remove(feed);
        unreadable.remove(feed);
        wakeUp();
    }

    void add(Upkeep task) {
        upkeep.add(task);
        wakeUp();
    }

    void remove(Upkeep task) {
        upkeep.remove(task);
        failingMaintenance.remove(task);
    }

    /** Makes the loop recompute what it reads now rather than after the current blocking read. */
    void wakeUp() {
        synchronized (wakeSignal) {
            wakeRequested = true;
            wakeSignal.notifyAll();
        }
        if (inBlockingRead && running) {
            commands.clientUnblock(clientId, UnblockType.TIMEOUT);
        }
    }

    /** The read connection came back: a reply lost with the old one may have left entries pending under us, unseen. */
    void reconnected() {
        byStream.values().forEach(StreamFeed::recoverOwnPending);
        wakeUp();
    }

    boolean owns(Object lettuceConnection) {
        return lettuceConnection == connection.connection();
    }

    void stopReading() {
        running = false;
        wakeUp();
        if (inBlockingRead) {
            commands.clientUnblock(clientId, UnblockType.TIMEOUT);
        }
    }

    void close() {
        stopReading();
        try {
            thread.join(options.consumer()
                    .readBlock()
                    .plus(options.connection().commandTimeout())
                    .toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close();
    }

    @Override
    public void run() {
        int failures = 0;
        while (running) {
            wakeRequested = false;
            List<StreamFeed> eligible = new ArrayList<>();
            try {
                long now = System.nanoTime();
                long nextDue = now + options.consumer().readBlock().toNanos();
                for (Upkeep task : upkeep) {
                    long due = maintainAlone(task, now);
                    nextDue = due - nextDue < 0 ? due : nextDue;
                }
                for (StreamFeed feed : byStream.values()) {
                    long due = maintainAlone(feed, now);
                    nextDue = due - nextDue < 0 ? due : nextDue;
                    Backoff setAside = unreadable.get(feed);
                    if (setAside != null && now - setAside.untilNanos() < 0) {
                        nextDue = setAside.untilNanos() - nextDue < 0 ? setAside.untilNanos() : nextDue;
                    } else if (feed.wantsMore()) {
                        eligible.add(feed);
                    }
                }
                long blockMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextDue - System.nanoTime()));
                if (eligible.isEmpty()) {
                    awaitWake(blockMillis);
                    continue;
                }
                readOnce(eligible, blockMillis);
                if (!unreadable.isEmpty()) {
                    eligible.forEach(unreadable::remove);
                }
                failures = 0;
            } catch (RedisException | AgentBusException e) {
                if (!running) {
                    break;
                }
                if (RedisErrors.hasErrorCode(e, "NOGROUP")) {
                    log.warn("a stream or its group vanished while read; creating it again: {}", e.getMessage());
                    recreateGroups();
                    continue;
                }
                if (RedisErrors.hasErrorCode(e, "WRONGTYPE") && setAsideUnreadable(eligible)) {
                    continue;
                }
                // A read that failed here (timed out, connection lost) may still have run on the
                // server, leaving entries pending under this consumer that nobody will see: walk them.
                byStream.values().forEach(StreamFeed::recoverOwnPending);
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

    /**
     * The read failed with {@code WRONGTYPE}: a key it names is not a stream any more (one agent's data,
     * written by hand or by a broken client). Those streams alone are left out of the reads for a
     * backoff, with an ERROR naming each, so that the other streams of the lane are read on the next
     * round; the read that names them is tried again after the backoff.
     *
     * @return whether one was found; if not, the lane backs off as for any failed read
     */
    private boolean setAsideUnreadable(List<StreamFeed> read) {
        long now = System.nanoTime();
        boolean found = false;
        for (StreamFeed feed : read) {
            String type = connection.sync().type(feed.key());
            if (!"stream".equals(type) && !"none".equals(type)) {
                Backoff setAside = Backoff.after(unreadable.get(feed), now);
                unreadable.put(feed, setAside);
                metrics.maintenanceFailed(feed.agent());
                log.error(
                        "{} is a {}, not a stream: left out of the reads of {} for {} ms ({} in a row);"
                                + " the other streams go on",
                        feed.key(),
                        type,
                        consumer,
                        setAside.pauseMillis(now),
                        setAside.failures());
                found = true;
            }
        }
        return found;
    }

    private void recreateGroups() {
        for (StreamFeed feed : byStream.values()) {
            try {
                scripts.recreateConsumer(feed.stream(), consumer);
            } catch (AgentBusException e) {
                log.warn("could not recreate the group of {}: {}", feed.key(), e.getMessage());
            }
        }
    }

    /**
     * One read of the eligible streams, higher priority bands first. Each stream whose last read found
     * entries, or that was added since the last read, is read with {@code read.lua}, which stops at the
     * instance's byte budget and never sends an entry too large to hold; the others at the same time with one {@code XREADGROUP COUNT 1} that does
     * not block, so that a stream with a steady flow never keeps the lane from the others. When no stream
     * had entries, one blocking {@code XREADGROUP COUNT 1} waits on all of them. Either read takes at most
     * one entry per stream whole, so even an entry that arrives while the lane waits is the only one of its
     * stream read whole.
     *
     * <p>It used to read every stream with {@code read.lua} while any had entries: a process of 5 agents
     * ran 15 scripts (and 15 replies) per message at a light load, and one of 1,000 agents 3,000 per round
     * (docs/adr/0004).
     */
    private void readOnce(List<StreamFeed> eligible, long blockMillis) {
        eligible.sort(
                Comparator.comparingInt((StreamFeed feed) -> -feed.stream().rank()));
        if (polls) {
            poll(eligible, blockMillis);
            return;
        }
        List<StreamFeed> byScript = new ArrayList<>();
        List<StreamFeed> others = new ArrayList<>();
        for (StreamFeed feed : eligible) {
            boolean added = unread.remove(feed);
            (added || backlogged.contains(feed) ? byScript : others).add(feed);
        }
        backlogged = byScript.isEmpty() ? readOneEach(eligible, blockMillis) : read(byScript, others);
    }

    /**
     * On a cluster: when the poll is due (or something woke the lane), reads every eligible stream
     * without blocking; then waits until the next poll or the next maintenance, whichever is first,
     * woken at once by {@link #wakeUp()}. A round that found entries polls again at once; an idle one
     * doubles the interval. Maintenance alone never triggers a poll: with many agents some upkeep is
     * due every few milliseconds, and polling each time would read every stream that often.
     */
    private void poll(List<StreamFeed> eligible, long blockMillis) {
        long now = System.nanoTime();
        if (now - nextPollNanos >= 0) {
            if (!read(eligible, List.of()).isEmpty()) {
                pollMillis = MIN_POLL_MILLIS;
                return;
            }
            nextPollNanos = now + TimeUnit.MILLISECONDS.toNanos(pollMillis);
            pollMillis = Math.min(pollMillis * 2, MAX_POLL_MILLIS);
        }
        long untilPoll = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextPollNanos - System.nanoTime()));
        awaitWake(Math.min(untilPoll, blockMillis));
        if (wakeRequested) {
            pollMillis = MIN_POLL_MILLIS;
            nextPollNanos = System.nanoTime();
        }
    }

    /**
     * Reads each of {@code byScript} with {@code read.lua}, within its instance's count and byte budget, and
     * {@code oneEach} with one {@code XREADGROUP COUNT 1} that does not block, pipelined; the feeds that had
     * entries.
     */
    private Set<StreamFeed> read(List<StreamFeed> byScript, List<StreamFeed> oneEach) {
        List<CompletionStage<StreamScripts.Taken>> replies = new ArrayList<>(byScript.size());
        for (StreamFeed feed : byScript) {
            // At least one: an instance that began closing since it was found eligible hands it back.
            int count = Math.max(1, feed.room());
            replies.add(scripts.read(connection, feed.stream(), consumer, count, feed.readBytes()));
        }
        Set<StreamFeed> found = new HashSet<>();
        RuntimeException failure = null;
        if (!oneEach.isEmpty()) {
            try {
                found.addAll(readOneEach(oneEach, null));
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        // Every reply is taken, even after one failed: the others' entries are pending under us already.
        for (int i = 0; i < replies.size(); i++) {
            StreamFeed feed = byScript.get(i);
            try {
                StreamScripts.Taken taken = Await.result(
                        replies.get(i), options.connection().commandTimeout().toMillis(), "read " + feed.key());
                feed.take(taken);
                if (!taken.entries().isEmpty() || !taken.tooLarge().isEmpty()) {
                    found.add(feed);
                }
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return found;
    }

    /**
     * One {@code XREADGROUP COUNT 1} over {@code feeds}: at most one entry per stream. With {@code
     * blockMillis}, it blocks until an entry arrives on any of them (or the time passes, or the lane is
     * woken); with null, it answers at once. The feeds that had an entry.
     */
    private Set<StreamFeed> readOneEach(List<StreamFeed> feeds, Long blockMillis) {
        CommandArgs<String, byte[]> args = new CommandArgs<>(CODEC)
                .add("GROUP")
                .add(group)
                .add(consumer)
                .add("COUNT")
                .add(1);
        if (blockMillis != null) {
            args.add("BLOCK").add(blockMillis);
        }
        args.add("STREAMS");
        feeds.forEach(feed -> args.addKey(feed.key()));
        feeds.forEach(feed -> args.add(">"));
        List<Object> reply;
        inBlockingRead = blockMillis != null;
        try {
            if (inBlockingRead && (wakeRequested || !running)) {
                return Set.of();
            }
            reply = connection.sync().dispatch(CommandType.XREADGROUP, new ArrayOutput<>(CODEC), args);
        } finally {
            inBlockingRead = false;
        }
        Set<StreamFeed> found = new HashSet<>();
        for (Map.Entry<String, List<StreamScripts.TakenEntry>> stream :
                StreamScripts.readReply(reply).entrySet()) {
            StreamFeed feed = byStream.get(stream.getKey());
            for (StreamScripts.TakenEntry entry : stream.getValue()) {
                if (feed == null) {
                    // Closed while the read was in flight: the entry stays pending under this consumer.
                    log.debug(
                            "entry {} of {} read after its subscription closed; left pending",
                            entry.id(),
                            stream.getKey());
                } else {
                    feed.take(entry);
                    found.add(feed);
                }
            }
        }
        return found;
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
        if (polls) {
            return;
        }
        try {
            clientId = connection.sync().clientId();
        } catch (RedisException e) {
            log.debug("could not read client id yet: {}", e.toString());
        }
    }

    /** How long a part whose maintenance failed waits, and how many times in a row it failed. */
    private record Backoff(int failures, long untilNanos) {

        /** The backoff after one more failure at {@code now}, following {@code previous} (or none). */
        static Backoff after(Backoff previous, long now) {
            int failures = previous == null ? 1 : previous.failures() + 1;
            return new Backoff(failures, now + TimeUnit.MILLISECONDS.toNanos(backoff(failures)));
        }

        long pauseMillis(long now) {
            return TimeUnit.NANOSECONDS.toMillis(untilNanos - now);
        }
    }

    /**
     * Runs the maintenance of one feed or upkeep, so that a failure of one (a key of the wrong type, a
     * script that fails on one agent's data) backs off that one alone, with an ERROR naming it, while
     * the lane goes on reading and maintaining the others. A failure of the server or the connection
     * ({@code NOGROUP}, a timeout, {@code LOADING}) goes to the lane, which backs off as one.
     *
     * @return when it is next due, as a {@link System#nanoTime()} value
     */
    private long maintainAlone(Upkeep part, long now) {
        Backoff failing = failingMaintenance.get(part);
        if (failing != null && now - failing.untilNanos() < 0) {
            return failing.untilNanos();
        }
        try {
            long due = part.maintain(now);
            if (failing != null) {
                failingMaintenance.remove(part);
                log.info("maintenance of {} works again after {} failures", part, failing.failures());
            }
            return due;
        } catch (RedisException | AgentBusException e) {
            if (!running || !isOwnFault(e)) {
                throw e;
            }
            Backoff waiting = Backoff.after(failing, now);
            failingMaintenance.put(part, waiting);
            metrics.maintenanceFailed(part.agent());
            log.error(
                    "maintenance of {} failed ({} in a row); it waits {} ms, the other streams of {} go on: {}",
                    part,
                    waiting.failures(),
                    waiting.pauseMillis(now),
                    consumer,
                    e.toString());
            return waiting.untilNanos();
        }
    }

    /**
     * Whether a maintenance failure is this part's own (its data or its keys: a key of the wrong type, a
     * script that fails on what it read, a key the ACL user may not touch) rather than the server's or
     * the connection's, which the lane handles as one (a single backoff, groups created again).
     */
    private static boolean isOwnFault(RuntimeException e) {
        return RedisErrors.hasErrorCode(e, "WRONGTYPE")
                || RedisErrors.hasErrorCode(e, "ERR")
                || RedisErrors.hasErrorCode(e, "NOPERM");
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
