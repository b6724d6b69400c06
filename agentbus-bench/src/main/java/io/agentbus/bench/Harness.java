package io.agentbus.bench;

import io.agentbus.LocalRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measurements, the same for every system: a closed-loop throughput run (one producer, a bounded
 * number of sends in flight, timed from the first send until the last message was handled and, for
 * systems with acks, no entry is pending any more) and an open-loop latency run (a scheduler sends at
 * fixed intended times whatever the system does, and each handler records now − intended time, so a
 * stall is charged to every message it delayed: no coordinated omission).
 *
 * <p>The probe is a Lettuce connection of the harness's own to the same server: it sees the pending
 * entries lists and counts connections with CLIENT LIST (less itself).
 */
final class Harness implements AutoCloseable {

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> probe;
    private final Status status;

    Harness(LocalRedis redis, Status status) {
        this.client = RedisClient.create(redis.uri());
        this.probe = client.connect();
        this.status = status;
    }

    /** Messages per second and how long the run took. */
    record Throughput(long messages, long nanos) {
        double perSecond() {
            return messages * 1e9 / nanos;
        }
    }

    Throughput throughput(BenchSystem.Rig rig, Sink sink, int agents, int messages, String payload, int inFlight,
                          String phase) throws Exception {
        sink.expect(messages, null);
        status.counting(phase, sink, messages);
        Semaphore permits = new Semaphore(inFlight);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            if (!permits.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new TimeoutException("no send completed within 30 s");
            }
            rig.send(i % agents, payload).whenComplete((ok, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                }
                permits.release();
            });
            if (failure.get() != null) {
                throw new IllegalStateException("send failed: " + failure.get(), failure.get());
            }
        }
        rig.flush();
        long timeout = 60_000 + messages / 2;
        sink.await(timeout);
        awaitAcked(rig, timeout);
        long nanos = System.nanoTime() - start;
        return new Throughput(messages, nanos);
    }

    /**
     * Sends {@code rate} messages a second for {@code seconds} to agent 0, each stamped with its intended
     * send time, and returns the histogram of handler start − intended send time in nanoseconds.
     */
    Histogram latency(BenchSystem.Rig rig, Sink sink, int rate, int seconds, int payloadBytes, String phase)
            throws Exception {
        long count = (long) rate * seconds;
        Recorder recorder = new Recorder(3);
        sink.expect(count, recorder);
        status.counting(phase, sink, count);
        long period = 1_000_000_000L / rate;
        AtomicLong failures = new AtomicLong();
        long start = Payloads.now() + TimeUnit.MILLISECONDS.toNanos(1);
        for (long i = 0; i < count; i++) {
            long intended = start + i * period;
            long wait;
            while ((wait = intended - Payloads.now()) > 0) {
                LockSupport.parkNanos(wait);
            }
            rig.send(0, Payloads.stamped(intended, payloadBytes)).whenComplete((ok, error) -> {
                if (error != null) {
                    failures.incrementAndGet();
                }
            });
            rig.flush();
        }
        sink.await(60_000 + count / 2);
        sink.expect(0, null);
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " sends failed during the open-loop run");
        }
        return recorder.getIntervalHistogram();
    }

    /**
     * Waits until no consumer group of the rig's streams has a pending entry: every handled message was
     * acknowledged. XINFO GROUPS covers every group, including those a system names itself (Redisson's
     * reliable topic names one per subscriber).
     */
    void awaitAcked(BenchSystem.Rig rig, long timeoutMillis) throws Exception {
        List<String> streams = rig.ackedStreams();
        if (streams.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            List<RedisFuture<List<Object>>> groups = new ArrayList<>(streams.size());
            for (String stream : streams) {
                groups.add(probe.async().xinfoGroups(stream));
            }
            long pending = 0;
            for (RedisFuture<List<Object>> info : groups) {
                for (Object group : info.get(10, TimeUnit.SECONDS)) {
                    pending += pendingOf((List<?>) group);
                }
            }
            if (pending == 0) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(pending + " entries still pending after " + timeoutMillis + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
        }
    }

    /** The {@code pending} field of one XINFO GROUPS entry, a flat list of names and values. */
    private static long pendingOf(List<?> group) {
        for (int i = 0; i + 1 < group.size(); i += 2) {
            if ("pending".equals(String.valueOf(group.get(i)))) {
                return ((Number) group.get(i + 1)).longValue();
            }
        }
        throw new IllegalStateException("XINFO GROUPS entry without pending: " + group);
    }

    /** Connections the server holds now, less the probe's own. */
    long connections() {
        String list = probe.sync().clientList();
        return list.lines().filter(line -> !line.isBlank()).count() - 1;
    }

    /**
     * The server's slow log (commands over 10 ms, Redis's default threshold), one line per entry, for
     * bench.log: tells a stall of Redis itself from a stall of the client.
     */
    List<String> slowCommands() {
        List<String> lines = new ArrayList<>();
        for (Object entry : probe.sync().slowlogGet(20)) {
            List<?> fields = (List<?>) entry;
            String command = String.valueOf(fields.get(3));
            lines.add(fields.get(2) + " µs at " + fields.get(1) + ": "
                    + (command.length() > 120 ? command.substring(0, 120) + "…" : command));
        }
        return lines;
    }

    @Override
    public void close() {
        probe.close();
        client.shutdown();
    }
}
