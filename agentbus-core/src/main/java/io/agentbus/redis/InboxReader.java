package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads many inboxes with one blocking {@code XREADGROUP} call on a connection of its own.
 *
 * <p>Each round it asks for {@code >} (never-delivered entries) of every inbox whose subscription
 * has room for a full batch ({@link InboxSubscription#wantsMore()}), so prefetch bounds the memory
 * and the pending entries one process holds. It blocks at most {@link BusOptions#readBlock()}; a
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

    private final RedisAgentBus bus;
    private final String consumer;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final BusOptions options;
    private final Map<String, InboxSubscription> byInbox = new ConcurrentHashMap<>();
    private final Object wakeSignal = new Object();
    private final Thread thread;
    private volatile long clientId;
    private volatile boolean running = true;
    private volatile boolean wakeRequested;
    private volatile boolean inBlockingRead;

    InboxReader(RedisAgentBus bus, int lane, String consumer, StatefulRedisConnection<String, byte[]> connection,
                BusOptions options) {
        this.bus = bus;
        this.consumer = consumer;
        this.connection = connection;
        this.options = options;
        connection.sync().clientSetname("agentbus-reader-" + lane);
        this.clientId = bus.clientIdOf(connection);
        this.thread = RedisAgentBus.daemonThreads("agentbus-reader-" + lane + "-").newThread(this);
        thread.start();
    }

    String consumer() {
        return consumer;
    }

    boolean serves(AgentId agent) {
        return byInbox.containsKey(KeySchema.inbox(agent));
    }

    void add(InboxSubscription subscription) {
        byInbox.put(subscription.inbox(), subscription);
        wakeUp();
    }

    void remove(InboxSubscription subscription) {
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

    @Override
    public void run() {
        int failures = 0;
        while (running) {
            wakeRequested = false;
            List<InboxSubscription> eligible = new ArrayList<>();
            for (InboxSubscription subscription : byInbox.values()) {
                if (subscription.wantsMore()) {
                    eligible.add(subscription);
                }
            }
            if (eligible.isEmpty()) {
                awaitWake();
                continue;
            }
            try {
                readOnce(eligible);
                failures = 0;
            } catch (RedisException e) {
                if (!running) {
                    break;
                }
                if (RedisErrors.hasErrorCode(e, "NOGROUP")) {
                    log.warn("an inbox or its group vanished while read; creating it again: {}", e.getMessage());
                    eligible.forEach(subscription -> bus.ensureConsumer(subscription.agent(), consumer));
                    continue;
                }
                failures++;
                long pause = backoff(failures);
                log.warn("read as {} failed ({} in a row), retrying in {} ms: {}", consumer, failures, pause, e.toString());
                pause(pause);
                refreshClientId();
            } catch (RuntimeException e) {
                // A bug, not Redis: log it loudly, and keep the reader alive.
                log.error("reader {} hit an unexpected error", consumer, e);
                pause(backoff(++failures));
            }
        }
    }

    private void readOnce(List<InboxSubscription> eligible) {
        @SuppressWarnings("unchecked")
        XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[eligible.size()];
        int readCount = Integer.MAX_VALUE;
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
            entries = connection.sync().xreadgroup(
                    Consumer.from(KeySchema.INBOX_GROUP, consumer),
                    XReadArgs.Builder.count(readCount).block(options.readBlock()),
                    offsets);
        } finally {
            inBlockingRead = false;
        }
        for (StreamMessage<String, byte[]> entry : entries) {
            InboxSubscription subscription = byInbox.get(entry.getStream());
            if (subscription != null) {
                subscription.accept(entry);
            } else {
                // Closed while the read was in flight: the entry stays pending under this consumer.
                log.debug("entry {} of {} read after its subscription closed; left pending", entry.getId(), entry.getStream());
            }
        }
    }

    private void awaitWake() {
        synchronized (wakeSignal) {
            if (!wakeRequested && running) {
                try {
                    wakeSignal.wait(options.readBlock().toMillis());
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
