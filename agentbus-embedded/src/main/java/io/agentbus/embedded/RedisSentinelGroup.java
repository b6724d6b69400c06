package io.agentbus.embedded;

import io.agentbus.AgentBusException;
import io.agentbus.protocol.RedisVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis Sentinel deployment on loopback, started by this JVM: one master, two replicas and three
 * sentinels (quorum 2), each a {@link LocalRedis} process on a free port, for tests of failover.
 *
 * <pre>{@code
 * try (RedisSentinelGroup group = RedisSentinelGroup.start()) {
 *     RedisClient client = RedisClient.create(group.uri()); // redis-sentinel://127.0.0.1:p1,...#mymaster
 *     ...
 *     LocalRedis old = group.killMaster();                   // kill -9
 *     LocalRedis promoted = group.awaitPromotion(Duration.ofSeconds(15));
 *     group.restart(old);                                    // back, and demoted to a replica by Sentinel
 * }
 * }</pre>
 *
 * <p>{@link #start()} returns a steady group: both replicas linked to the master, and every sentinel
 * seeing the master, both replicas and the two other sentinels. Sentinels declare a master down after
 * {@link Builder#downAfter} (default {@value #DEFAULT_DOWN_AFTER_MILLIS} ms), so a promotion takes a
 * few seconds. Data nodes keep nothing on disk: a node restarted after a kill comes back empty, as a
 * master, until Sentinel turns it into a replica (about ten seconds: Sentinel waits to be sure of what
 * it sees). Every process is killed on {@link #close()} and when the JVM exits.
 *
 * <p>Every process listens on {@value LocalRedis#DEFAULT_HOST} unless {@link Builder#nodeHosts} and
 * {@link Builder#sentinelHosts} give each its own loopback address, which a test needs to cut the
 * traffic between some of them (a partition) while it still reaches all.
 *
 * <p>Runs on Redis 6.2 and 7 ({@link LocalRedis.Binary}); sentinels are {@code redis-server <conf>
 * --sentinel}, with their config files in a temporary directory deleted on close. Under JUnit,
 * {@code io.agentbus.testkit.RedisTopologyExtension} starts one per test class.
 */
public final class RedisSentinelGroup implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisSentinelGroup.class);

    public static final String DEFAULT_MASTER_NAME = "mymaster";
    public static final long DEFAULT_DOWN_AFTER_MILLIS = 1000;
    public static final long DEFAULT_FAILOVER_TIMEOUT_MILLIS = 5000;
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);

    private static final int REPLICAS = 2;
    private static final int SENTINELS = 3;
    private static final int QUORUM = 2;

    private final String masterName;
    private final Duration readyTimeout;
    private final Path dir;
    private final NodeAdmin admin = new NodeAdmin();
    private final List<LocalRedis> nodes = new ArrayList<>();
    private final List<LocalRedis> sentinels = new ArrayList<>();
    /** The master before the last promotion {@link #awaitPromotion} waits for. */
    private volatile LocalRedis knownMaster;

    private RedisSentinelGroup(Builder builder) throws IOException {
        masterName = builder.masterName;
        readyTimeout = builder.readyTimeout;
        dir = Files.createTempDirectory("agentbus-sentinel-");
    }

    /** Starts a group with the defaults and waits until it is steady. */
    public static RedisSentinelGroup start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The name the sentinels monitor the master under. */
    public String masterName() {
        return masterName;
    }

    /** The Lettuce form: {@code redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3#mymaster}, with the sentinels' hosts. */
    public String uri() {
        return "redis-sentinel://"
                + sentinels.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(","))
                + "#" + masterName;
    }

    /** The three data nodes, master and replicas, in the order they were started (the first was master). */
    public List<LocalRedis> nodes() {
        return List.copyOf(nodes);
    }

    /** The three sentinels; kill or restart one with its own methods. */
    public List<LocalRedis> sentinels() {
        return List.copyOf(sentinels);
    }

    /** The server version of every process of the group. */
    public RedisVersion version() {
        return nodes.get(0).version();
    }

    /**
     * The data node the sentinels currently name as master (SENTINEL GET-MASTER-ADDR-BY-NAME, asked of
     * the first sentinel that answers). Right after a kill this is still the dead node, until a
     * promotion.
     *
     * @throws IllegalStateException if no sentinel answers, or names an address outside the group
     */
    public LocalRedis master() {
        RuntimeException last = null;
        for (LocalRedis sentinel : sentinels) {
            if (!sentinel.isRunning()) {
                continue;
            }
            try {
                return node(admin.sentinel(sentinel, s -> s.getMasterAddrByName(masterName)));
            } catch (io.lettuce.core.RedisException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no sentinel of the group answers", last);
    }

    /** The data nodes other than {@link #master()}, running or not. */
    public List<LocalRedis> replicas() {
        LocalRedis master = master();
        return nodes.stream().filter(node -> node != master).toList();
    }

    /** Kills the current master with SIGKILL and returns it; {@link #awaitPromotion} waits for its successor. */
    public synchronized LocalRedis killMaster() {
        LocalRedis master = master();
        knownMaster = master;
        master.kill();
        return master;
    }

    /**
     * Waits until every running sentinel names a master other than the one before (the one
     * {@link #killMaster()} killed, or the first master), and that node answers ROLE as a master.
     *
     * @return the new master
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public synchronized LocalRedis awaitPromotion(Duration timeout) {
        LocalRedis former = knownMaster;
        LocalRedis[] promoted = new LocalRedis[1];
        NodeAdmin.await(timeout, "a master other than " + former.port() + " for " + masterName, () -> {
            LocalRedis named = null;
            for (LocalRedis sentinel : sentinels) {
                if (!sentinel.isRunning()) {
                    continue;
                }
                LocalRedis said = node(admin.sentinel(sentinel, s -> s.getMasterAddrByName(masterName)));
                if (said == former || (named != null && said != named)) {
                    return false;
                }
                named = said;
            }
            if (named == null || !"master".equals(role(named))) {
                return false;
            }
            promoted[0] = named;
            return true;
        });
        knownMaster = promoted[0];
        return promoted[0];
    }

    /**
     * Waits until every running data node other than the master replicates the current master, with
     * its link up and everything the master had written when this method began.
     */
    public void awaitReplicasInSync(Duration timeout) {
        LocalRedis master = master();
        long masterOffset = Long.parseLong(admin.info(master, "replication").get("master_repl_offset"));
        for (LocalRedis replica : nodes) {
            if (replica == master || !replica.isRunning()) {
                continue;
            }
            NodeAdmin.await(
                    timeout,
                    "port " + replica.port() + " to replicate master " + master.port() + " up to offset "
                            + masterOffset,
                    () -> replicates(replica, master, masterOffset));
        }
    }

    /**
     * Starts a killed or stopped process of the group again, on its port. A data node then waits, up to
     * the group's ready timeout, until it is a replica of the current master with its link up: a node
     * comes back as an empty master, and Sentinel demotes it. A sentinel is back once it answers PING.
     *
     * @return {@code node}
     */
    public synchronized LocalRedis restart(LocalRedis node) {
        if (!nodes.contains(node) && !sentinels.contains(node)) {
            throw new IllegalArgumentException(node + " is not part of this group");
        }
        node.restart();
        if (nodes.contains(node)) {
            NodeAdmin.await(readyTimeout, "port " + node.port() + " to be demoted to a replica", () -> {
                LocalRedis master = master();
                return master == node ? "master".equals(role(node)) : replicates(node, master, 0);
            });
        }
        return node;
    }

    /** Kills every process of the group and deletes its files. */
    @Override
    public synchronized void close() {
        // Sentinels first, so they do not react to the data nodes going away.
        sentinels.forEach(LocalRedis::close);
        nodes.forEach(LocalRedis::close);
        admin.close();
        NodeAdmin.deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "RedisSentinelGroup{" + uri() + ", nodes="
                + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.joining(",")) + '}';
    }

    private void launch(Builder builder) throws IOException {
        for (int i = 0; i < 1 + REPLICAS; i++) {
            nodes.add(LocalRedis.builder()
                    .binary(builder.binary)
                    .host(builder.nodeHosts.get(i))
                    .dataDir(Files.createDirectory(dir.resolve("node-" + i)))
                    .args(DATA_NODE_ARGS)
                    .args(builder.args)
                    .start());
        }
        LocalRedis master = nodes.get(0);
        knownMaster = master;
        for (LocalRedis replica : nodes.subList(1, nodes.size())) {
            admin.call(replica, redis -> redis.replicaof(master.host(), master.port()));
        }
        for (LocalRedis replica : nodes.subList(1, nodes.size())) {
            NodeAdmin.await(
                    readyTimeout,
                    "port " + replica.port() + " to sync with its master",
                    () -> replicates(replica, master, 0));
        }
        String config = String.join(
                "\n",
                "sentinel monitor " + masterName + " " + master.host() + " " + master.port() + " " + QUORUM,
                "sentinel down-after-milliseconds " + masterName + " " + builder.downAfter.toMillis(),
                "sentinel failover-timeout " + masterName + " " + builder.failoverTimeout.toMillis(),
                "sentinel parallel-syncs " + masterName + " " + REPLICAS,
                "");
        for (int i = 0; i < SENTINELS; i++) {
            Path sentinelDir = Files.createDirectory(dir.resolve("sentinel-" + i));
            Path conf = Files.writeString(sentinelDir.resolve("sentinel.conf"), config, StandardCharsets.UTF_8);
            sentinels.add(LocalRedis.builder()
                    .binary(builder.binary)
                    .host(builder.sentinelHosts.get(i))
                    .dataDir(sentinelDir)
                    .configFile(conf)
                    .args("--sentinel")
                    .start());
        }
        for (LocalRedis sentinel : sentinels) {
            NodeAdmin.await(
                    readyTimeout,
                    "sentinel " + sentinel.port() + " to see " + REPLICAS + " replicas and " + (SENTINELS - 1)
                            + " other sentinels",
                    () -> sees(sentinel, master));
        }
    }

    private boolean sees(LocalRedis sentinel, LocalRedis master) {
        return admin.sentinel(sentinel, s -> {
            Map<String, String> state = s.master(masterName);
            if (!"master".equals(state.get("flags"))
                    || !Integer.toString(master.port()).equals(state.get("port"))
                    || !Integer.toString(REPLICAS).equals(state.get("num-slaves"))
                    || !Integer.toString(SENTINELS - 1).equals(state.get("num-other-sentinels"))) {
                return false;
            }
            return s.replicas(masterName).stream()
                    .allMatch(replica ->
                            "slave".equals(replica.get("flags")) && "ok".equals(replica.get("master-link-status")));
        });
    }

    private boolean replicates(LocalRedis replica, LocalRedis master, long offset) {
        Map<String, String> info = admin.info(replica, "replication");
        return "slave".equals(info.get("role"))
                && master.host().equals(info.get("master_host"))
                && Integer.toString(master.port()).equals(info.get("master_port"))
                && "up".equals(info.get("master_link_status"))
                && Long.parseLong(info.getOrDefault("slave_repl_offset", "-1")) >= offset;
    }

    private String role(LocalRedis node) {
        return admin.info(node, "replication").get("role");
    }

    private LocalRedis node(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            for (LocalRedis node : nodes) {
                if (node.port() == inet.getPort() && node.host().equals(inet.getHostString())) {
                    return node;
                }
            }
        }
        throw new IllegalStateException(
                "sentinels name " + address + " as master of " + masterName + ", not a node of this group: "
                        + nodes.stream().map(LocalRedis::port).toList());
    }

    /** Every data node: nothing on disk, full syncs streamed at once (7.0 would wait 5 s by default). */
    private static final List<String> DATA_NODE_ARGS =
            List.of("--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0");

    /** Settings of a {@link RedisSentinelGroup}. */
    public static final class Builder {
        private LocalRedis.Binary binary = LocalRedis.Binary.AUTO;
        private final List<String> args = new ArrayList<>();
        private String masterName = DEFAULT_MASTER_NAME;
        private Duration downAfter = Duration.ofMillis(DEFAULT_DOWN_AFTER_MILLIS);
        private Duration failoverTimeout = Duration.ofMillis(DEFAULT_FAILOVER_TIMEOUT_MILLIS);
        private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
        private List<String> nodeHosts =
                List.of(LocalRedis.DEFAULT_HOST, LocalRedis.DEFAULT_HOST, LocalRedis.DEFAULT_HOST);
        private List<String> sentinelHosts =
                List.of(LocalRedis.DEFAULT_HOST, LocalRedis.DEFAULT_HOST, LocalRedis.DEFAULT_HOST);

        private Builder() {}

        /**
         * The loopback addresses of the three data nodes, the first master ({@link LocalRedis.Builder#host});
         * default {@value LocalRedis#DEFAULT_HOST} for each.
         */
        public Builder nodeHosts(String... hosts) {
            this.nodeHosts = three(hosts, "nodeHosts");
            return this;
        }

        /** The loopback addresses of the three sentinels; default {@value LocalRedis#DEFAULT_HOST} for each. */
        public Builder sentinelHosts(String... hosts) {
            this.sentinelHosts = three(hosts, "sentinelHosts");
            return this;
        }

        private static List<String> three(String[] hosts, String name) {
            if (hosts.length != 3) {
                throw new IllegalArgumentException(name + " must name 3 addresses, was " + List.of(hosts));
            }
            return List.of(hosts);
        }

        /** Default {@link LocalRedis.Binary#AUTO}; {@code BUNDLED} runs the whole group on Redis 6.2. */
        public Builder binary(LocalRedis.Binary binary) {
            this.binary = Objects.requireNonNull(binary, "binary");
            return this;
        }

        /** Extra {@code redis-server} arguments for the three data nodes (not the sentinels). */
        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        public Builder args(List<String> args) {
            this.args.addAll(args);
            return this;
        }

        /** Default {@value RedisSentinelGroup#DEFAULT_MASTER_NAME}. */
        public Builder masterName(String masterName) {
            if (masterName == null || masterName.isBlank() || masterName.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("masterName must be one word, was '" + masterName + "'");
            }
            this.masterName = masterName;
            return this;
        }

        /** Sentinel's {@code down-after-milliseconds}; default {@value RedisSentinelGroup#DEFAULT_DOWN_AFTER_MILLIS} ms. */
        public Builder downAfter(Duration downAfter) {
            this.downAfter = NodeAdmin.positive(downAfter, "downAfter");
            return this;
        }

        /** Sentinel's {@code failover-timeout}; default {@value RedisSentinelGroup#DEFAULT_FAILOVER_TIMEOUT_MILLIS} ms. */
        public Builder failoverTimeout(Duration failoverTimeout) {
            this.failoverTimeout = NodeAdmin.positive(failoverTimeout, "failoverTimeout");
            return this;
        }

        /** How long {@code start()} and {@code restart} wait for the group to settle; default 30 s. */
        public Builder readyTimeout(Duration readyTimeout) {
            this.readyTimeout = NodeAdmin.positive(readyTimeout, "readyTimeout");
            return this;
        }

        /** Starts the processes and waits until the group is steady; kills them all if it does not get there. */
        public RedisSentinelGroup start() {
            RedisSentinelGroup group;
            try {
                group = new RedisSentinelGroup(this);
            } catch (IOException e) {
                throw new AgentBusException("cannot prepare a sentinel group: " + e.getMessage(), e);
            }
            try {
                long began = System.nanoTime();
                group.launch(this);
                log.info("started {} in {} ms", group, (System.nanoTime() - began) / 1_000_000);
                return group;
            } catch (IOException | RuntimeException e) {
                group.close();
                throw new AgentBusException("could not start a sentinel group: " + e.getMessage(), e);
            }
        }
    }
}
