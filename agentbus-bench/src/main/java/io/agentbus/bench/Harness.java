package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisStreamAsyncCommands;
import io.lettuce.core.api.sync.RedisServerCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measurements, the same for every system: a closed-loop throughput run (one producer, a bounded
 * number of sends in flight, timed from the first send until the last message was handled and, for
 * systems with acks, no entry is pending any more; one-to-many runs count every delivery), closed-loop
 * request/reply round trips, and an open-loop latency run (a scheduler sends at
 * fixed intended times whatever the system does, and each handler records now − intended time, so a
 * stall is charged to every message it delayed: no coordinated omission).
 *
 * <p>The probe is a Lettuce connection of the harness's own to the same server, or a cluster connection
 * to the same cluster, named {@value #PROBE_NAME}: it sees the pending entries lists, counts connections
 * with CLIENT LIST (less itself) and, on a cluster, which master stores which stream.
 */
final class Harness implements AutoCloseable {

    /** The probe's client name, which CLIENT LIST shows and {@link #processConnections()} leaves out. */
    static final String PROBE_NAME = "agentbus-bench-probe";

    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> probe;
    private final RedisStreamAsyncCommands<String, String> streamCommands;
    /** {@code host:port} of the server; empty on a cluster. */
    private final String address;

    private final Status status;

    Harness(LocalRedis redis, Status status) {
        RedisClient standalone = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> connection = standalone.connect();
        connection.sync().clientSetname(PROBE_NAME);
        this.client = standalone;
        this.probe = connection;
        this.streamCommands = connection.async();
        this.address = redis.host() + ":" + redis.port();
        this.status = status;
    }

    private Harness(RedisClusterClient cluster, StatefulRedisClusterConnection<String, String> probe, Status status) {
        this.client = cluster;
        this.probe = probe;
        this.streamCommands = probe.async();
        this.address = "";
        this.status = status;
    }

    /** A harness whose probe is a cluster connection to {@code seeds}' cluster; its node connections are named too. */
    static Harness onCluster(List<RedisURI> seeds, Status status) {
        List<RedisURI> named = seeds.stream()
                .map(seed -> {
                    RedisURI copy = RedisURI.builder(seed).build();
                    copy.setClientName(PROBE_NAME);
                    return copy;
                })
                .toList();
        RedisClusterClient cluster = RedisClusterClient.create(named);
        try {
            return new Harness(cluster, cluster.connect(), status);
        } catch (RuntimeException e) {
            cluster.shutdown();
            throw e;
        }
    }

    /** Messages handled (every delivery, in one-to-many runs) per second, and how long the run took. */
    record Throughput(long messages, long nanos) {
        double perSecond() {
            return messages * 1e9 / nanos;
        }
    }

    Throughput throughput(
            BenchSystem.Rig rig, Sink sink, int agents, int messages, String payload, int inFlight, String phase)
            throws Exception {
        return closedLoop(rig, sink, agents, messages, 1, false, () -> payload, null, inFlight, phase);
    }

    /**
     * A closed-loop run of a one-to-many scenario: each message is delivered {@code receivers} times, and
     * the run ends when all deliveries were handled (and acknowledged). With {@code paced}, the producer
     * also stays within {@code inFlight} messages of the deliveries: pub/sub has no backlog of its own,
     * so a producer running ahead would only fill the client's queues and Redis's output buffer, which
     * disconnects a subscriber that falls 32 MB behind (client-output-buffer-limit pubsub).
     */
    Throughput fanOut(
            BenchSystem.Rig rig,
            Sink sink,
            int messages,
            int receivers,
            boolean paced,
            String payload,
            int inFlight,
            String phase)
            throws Exception {
        return closedLoop(rig, sink, 1, messages, receivers, paced, () -> payload, null, inFlight, phase);
    }

    /** Round trips per second and the histogram of their times (request sent → reply handled), in nanoseconds. */
    record RoundTrips(Throughput throughput, Histogram histogram) {}

    /**
     * {@code count} request/reply round trips, {@code concurrency} of them in flight: each request carries
     * its send time as its payload's stamp, the responder echoes the payload, and the requester's sink
     * records now − stamp. Closed loop: a slow reply delays the next request, so these are the times of
     * the round trips made, at the concurrency given, not of a fixed arrival rate.
     */
    RoundTrips roundTrips(BenchSystem.Rig rig, Sink sink, int concurrency, int count, int payloadBytes, String phase)
            throws Exception {
        Recorder recorder = new Recorder(3);
        Throughput throughput = closedLoop(
                rig,
                sink,
                1,
                count,
                1,
                false,
                () -> Payloads.stamped(Payloads.now(), payloadBytes),
                recorder,
                concurrency,
                phase);
        sink.expect(0, null);
        return new RoundTrips(throughput, recorder.getIntervalHistogram());
    }

    private Throughput closedLoop(
            BenchSystem.Rig rig,
            Sink sink,
            int agents,
            int messages,
            int receivers,
            boolean paced,
            Supplier<String> payload,
            Recorder recorder,
            int inFlight,
            String phase)
            throws Exception {
        long deliveries = (long) messages * receivers;
        long base = sink.handled();
        sink.expect(deliveries, recorder);
        status.counting(phase, sink, deliveries);
        long start = System.nanoTime();
        sendAll(rig, agents, messages, payload, inFlight, i -> {
            if (paced) {
                awaitHandled(sink, base + (long) (i - inFlight) * receivers);
            }
        });
        long timeout = 60_000 + deliveries / 2;
        sink.await(timeout);
        awaitAcked(rig, timeout);
        long nanos = System.nanoTime() - start;
        return new Throughput(deliveries, nanos);
    }

    /** Work done before each send, given the send's number; may throw to end the run. */
    private interface BeforeSend {
        void run(int send) throws Exception;
    }

    /**
     * Sends {@code messages} spread over {@code agents} with at most {@code inFlight} unconfirmed, then flushes;
     * returns the permits, all of which are free again once every send was confirmed.
     */
    private static Semaphore sendAll(
            BenchSystem.Rig rig,
            int agents,
            int messages,
            Supplier<String> payload,
            int inFlight,
            BeforeSend beforeSend)
            throws Exception {
        Semaphore permits = new Semaphore(inFlight);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < messages; i++) {
            if (!permits.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new TimeoutException("no send completed within 30 s");
            }
            beforeSend.run(i);
            rig.send(i % agents, payload.get()).whenComplete((ok, error) -> {
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
        return permits;
    }

    /**
     * backlog-drain, before the consumers start: sends {@code messages} to agent 0 with at most {@code inFlight}
     * in flight and returns once Redis confirmed every one. Throws if anything was handled meanwhile: the
     * rig's consumers were meant not to run yet.
     */
    void fill(BenchSystem.Backlog rig, Sink sink, int messages, String payload, int inFlight, String phase)
            throws Exception {
        status.phase(phase);
        long handled = sink.handled();
        Semaphore permits = sendAll(rig, 1, messages, () -> payload, inFlight, i -> {});
        if (!permits.tryAcquire(inFlight, 60, TimeUnit.SECONDS)) {
            throw new TimeoutException((inFlight - permits.availablePermits()) + " sends unconfirmed after 60 s");
        }
        if (sink.handled() != handled) {
            throw new IllegalStateException((sink.handled() - handled) + " messages handled before any consumer ran");
        }
    }

    /**
     * backlog-drain: starts the rig's consumers on the {@code messages} queued by {@link #fill} and returns how
     * long it took from their start until every message was handled and no entry is pending.
     */
    Throughput drain(BenchSystem.Backlog rig, Sink sink, int messages, String phase) throws Exception {
        sink.expect(messages, null);
        status.counting(phase, sink, messages);
        long start = System.nanoTime();
        rig.startConsumers();
        long timeout = 60_000 + messages / 2;
        sink.await(timeout);
        awaitAcked(rig, timeout);
        return new Throughput(messages, System.nanoTime() - start);
    }

    /** Waits until the sink handled {@code target} messages in all; it only ever counts up. */
    private static void awaitHandled(Sink sink, long target) throws TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sink.handled() < target) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(
                        (target - sink.handled()) + " deliveries missing for 30 s: a subscriber lost them");
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
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
        awaitAcked(rig.ackedStreams(), timeoutMillis);
    }

    /** Waits until no consumer group of {@code streams} has a pending entry. */
    void awaitAcked(List<String> streams, long timeoutMillis) throws Exception {
        if (streams.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            List<RedisFuture<List<Object>>> groups = new ArrayList<>(streams.size());
            for (String stream : streams) {
                groups.add(streamCommands.xinfoGroups(stream));
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

    /** Connections the server holds now, less the probe's own; on a server that only the bench uses. */
    long connections() {
        String list = nodes().get(0).clientList();
        return list.lines().filter(line -> !line.isBlank()).count() - 1;
    }

    /**
     * The connections this process holds, summed over every node (masters and replicas), less the
     * probe's: CLIENT LIST entries whose client port is a socket of this JVM ({@link ProcessSockets}),
     * so neither replication links nor other processes' clients count. Where the JVM's sockets cannot be
     * read (no {@code /proc}), every entry but the replication links ({@code flags} with S or M) counts.
     */
    long processConnections() {
        Set<Integer> own = ProcessSockets.localPorts();
        long count = 0;
        for (RedisServerCommands<String, String> node : nodes()) {
            for (String line : node.clientList().split("\n")) {
                Map<String, String> fields = ProcessSockets.fields(line);
                if (fields.isEmpty() || PROBE_NAME.equals(fields.get("name"))) {
                    continue;
                }
                boolean ours = own.isEmpty()
                        ? !fields.getOrDefault("flags", "").matches(".*[SM].*")
                        : own.contains(ProcessSockets.port(fields.getOrDefault("addr", "")));
                if (ours) {
                    count++;
                }
            }
        }
        return count;
    }

    /** How many of {@code streams} and of their entries one master ({@code host:port}) stores. */
    record Shard(String master, int streams, long entries) {}

    /** Per master, in the order of their addresses: the streams of {@code keys} it stores and their entries (XLEN). */
    List<Shard> spread(List<String> keys) throws Exception {
        Map<String, List<RedisFuture<Long>>> lengths = new TreeMap<>();
        for (String key : keys) {
            lengths.computeIfAbsent(masterOf(key), master -> new ArrayList<>()).add(streamCommands.xlen(key));
        }
        List<Shard> shards = new ArrayList<>();
        for (Map.Entry<String, List<RedisFuture<Long>>> master : lengths.entrySet()) {
            long entries = 0;
            for (RedisFuture<Long> length : master.getValue()) {
                entries += length.get(10, TimeUnit.SECONDS);
            }
            shards.add(new Shard(master.getKey(), master.getValue().size(), entries));
        }
        return shards;
    }

    /** {@code host:port} of the master storing {@code key}: the server itself, or its slot's master. */
    private String masterOf(String key) {
        if (probe instanceof StatefulRedisClusterConnection<String, String> cluster) {
            RedisClusterNode master = cluster.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
            return master.getUri().getHost() + ":" + master.getUri().getPort();
        }
        return address;
    }

    /** Every node's server commands: the server, or each node of the cluster the probe knows. */
    private List<RedisServerCommands<String, String>> nodes() {
        if (probe instanceof StatefulRedisClusterConnection<String, String> cluster) {
            List<RedisServerCommands<String, String>> nodes = new ArrayList<>();
            for (RedisClusterNode node : cluster.getPartitions()) {
                nodes.add(cluster.getConnection(node.getNodeId()).sync());
            }
            return nodes;
        }
        return List.of(((StatefulRedisConnection<String, String>) probe).sync());
    }

    /**
     * The server's slow log (commands over 10 ms, Redis's default threshold), one line per entry, for
     * bench.log: tells a stall of Redis itself from a stall of the client.
     */
    List<String> slowCommands() {
        List<String> lines = new ArrayList<>();
        List<RedisServerCommands<String, String>> nodes = nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (Object entry : nodes.get(i).slowlogGet(20)) {
                List<?> fields = (List<?>) entry;
                String command = String.valueOf(fields.get(3));
                lines.add((nodes.size() > 1 ? "node " + (i + 1) + ": " : "") + fields.get(2) + " µs at " + fields.get(1)
                        + ": " + (command.length() > 120 ? command.substring(0, 120) + "…" : command));
            }
        }
        return lines;
    }

    @Override
    public void close() {
        probe.close();
        client.shutdown();
    }
}
