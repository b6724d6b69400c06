package io.agentbus.embedded;

import io.agentbus.AgentBusException;
import io.agentbus.protocol.RedisVersion;
import io.lettuce.core.MigrateArgs;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.ClusterPartitionParser;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis Cluster on loopback, started by this JVM: three masters and three replicas, each a
 * {@link LocalRedis} process with {@code cluster-enabled yes}, joined by
 * {@code redis-cli --cluster create … --cluster-replicas 1}, for tests of routing, failover and
 * resharding.
 *
 * <pre>{@code
 * try (RedisClusterNodes cluster = RedisClusterNodes.start()) {
 *     AgentBus bus = AgentBus.connect(cluster.uri());                    // redis-cluster://127.0.0.1:p1,...
 *     RedisClusterClient client = RedisClusterClient.create(cluster.seedUris()); // plain Lettuce
 *     ...
 *     LocalRedis owner = cluster.masterOf("inbox:{agent-7}");
 *     cluster.killMaster(owner);                                      // kill -9
 *     LocalRedis promoted = cluster.awaitFailover(owner, Duration.ofSeconds(15));
 *     cluster.migrateSlot(cluster.slotOf("inbox:{agent-8}"), cluster.masterOf("inbox:{agent-8}"), promoted);
 * }
 * }</pre>
 *
 * <p>{@link #start()} returns a settled cluster: all 16384 slots served, {@code cluster_state:ok} on
 * every node, every node knowing the five others, every replica linked to its master. Nodes declare a
 * peer failing after {@link Builder#nodeTimeout} (default {@value #DEFAULT_NODE_TIMEOUT_MILLIS} ms), so
 * a failover takes a few seconds. Nodes keep nothing on disk but {@code nodes.conf}, so a node
 * restarted after a kill comes back with its identity and no data, and rejoins as a replica if its
 * slots moved to another node meanwhile. Every process is killed on {@link #close()} and when the JVM
 * exits.
 *
 * <p>Ports are chosen below 22000 so that each node's cluster bus port ({@code port + 10000}, which
 * Redis 6.2 cannot configure) is free too. Runs on Redis 6.2 and 7 ({@link LocalRedis.Binary});
 * {@code redis-cli} comes from PATH, next to {@code redis-server}, whatever binary the nodes run.
 * Under JUnit, {@code io.agentbus.testkit.RedisTopologyExtension} starts one per test class.
 */
public final class RedisClusterNodes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisClusterNodes.class);

    public static final long DEFAULT_NODE_TIMEOUT_MILLIS = 2000;
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);

    private static final int MASTERS = 3;
    private static final int NODES = MASTERS * 2;
    private static final int SLOTS = SlotHash.SLOT_COUNT;
    private static final int BUS_PORT_OFFSET = 10000;
    private static final int LOWEST_PORT = 12000;
    private static final int PORT_RANGE = 10000;
    private static final int PORT_ATTEMPTS = 5;
    private static final int MIGRATE_BATCH = 100;
    private static final long MIGRATE_TIMEOUT_MILLIS = 5000;

    private final Duration readyTimeout;
    private final Path dir;
    private final NodeAdmin admin = new NodeAdmin();
    private final List<LocalRedis> nodes = new ArrayList<>();
    private final Map<LocalRedis, String> ids = new HashMap<>();
    /** Slots each killed master served when {@link #killMaster} killed it. */
    private final Map<LocalRedis, List<Integer>> slotsOfKilled = new HashMap<>();

    private RedisClusterNodes(Builder builder) throws IOException {
        readyTimeout = builder.readyTimeout;
        dir = Files.createTempDirectory("agentbus-cluster-");
    }

    /** Starts a cluster with the defaults and waits until it is settled. */
    public static RedisClusterNodes start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The agentbus form, with the three first masters as seed nodes:
     * {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3}. Seeds stay valid after a
     * failover: a client needs one reachable node to learn the topology. Lettuce itself has no
     * {@code redis-cluster} scheme: give {@link #seedUris()} to {@code RedisClusterClient.create}.
     */
    public String uri() {
        return "redis-cluster://"
                + nodes.subList(0, MASTERS).stream()
                        .map(node -> node.host() + ":" + node.port())
                        .collect(Collectors.joining(","));
    }

    /** The same seed nodes as {@link #uri()}, for {@code RedisClusterClient.create(Iterable<RedisURI>)}. */
    public List<RedisURI> seedUris() {
        return nodes.subList(0, MASTERS).stream()
                .map(node -> RedisURI.create(node.host(), node.port()))
                .toList();
    }

    /** All six nodes, in the order they were started; the first three were created as masters. */
    public List<LocalRedis> nodes() {
        return List.copyOf(nodes);
    }

    /** The server version of every node. */
    public RedisVersion version() {
        return nodes.get(0).version();
    }

    /** The node's cluster id (CLUSTER MYID), which survives restarts. */
    public String nodeId(LocalRedis node) {
        String id = ids.get(node);
        if (id == null) {
            throw new IllegalArgumentException(node + " is not a node of this cluster");
        }
        return id;
    }

    /** The running nodes that serve slots, as a running node sees the cluster now. */
    public List<LocalRedis> masters() {
        Partitions view = view();
        return nodes.stream()
                .filter(LocalRedis::isRunning)
                .filter(node -> {
                    RedisClusterNode seen = view.getPartitionByNodeId(nodeId(node));
                    return seen != null && seen.is(NodeFlag.UPSTREAM) && !seen.hasNoSlots();
                })
                .toList();
    }

    /** The nodes that replicate {@code master}, running or not, as a running node sees the cluster now. */
    public List<LocalRedis> replicasOf(LocalRedis master) {
        String masterId = nodeId(master);
        Partitions view = view();
        return nodes.stream()
                .filter(node -> {
                    RedisClusterNode seen = view.getPartitionByNodeId(nodeId(node));
                    return seen != null && seen.is(NodeFlag.REPLICA) && masterId.equals(seen.getSlaveOf());
                })
                .toList();
    }

    /** The hash slot of {@code key}, as Redis computes it (CRC16, honouring {@code {hash tags}}). */
    public int slotOf(String key) {
        return SlotHash.getSlot(key);
    }

    /** The master serving {@code key}'s slot now. */
    public LocalRedis masterOf(String key) {
        return masterOfSlot(slotOf(key));
    }

    /**
     * The master serving {@code slot} now, as a running node sees the cluster.
     *
     * @throws IllegalStateException if no node of the group serves it (during a failover)
     */
    public LocalRedis masterOfSlot(int slot) {
        checkSlot(slot);
        RedisClusterNode owner = owner(view(), slot)
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + " now"));
        return byId(owner.getNodeId());
    }

    /**
     * Kills {@code master} with SIGKILL; {@link #awaitFailover} waits until its replica serves its
     * slots.
     *
     * @return {@code master}
     * @throws IllegalArgumentException if {@code master} does not serve slots now
     */
    public synchronized LocalRedis killMaster(LocalRedis master) {
        RedisClusterNode seen = view().getPartitionByNodeId(nodeId(master));
        if (seen == null || !seen.is(NodeFlag.UPSTREAM) || seen.hasNoSlots() || !master.isRunning()) {
            throw new IllegalArgumentException("port " + master.port() + " is not a running master");
        }
        slotsOfKilled.put(master, List.copyOf(seen.getSlots()));
        master.kill();
        return master;
    }

    /**
     * Waits until another node serves the slots {@code killed} served, answers ROLE as a master, and
     * every running node reports {@code cluster_state:ok}.
     *
     * @return the node that took the slots over (the killed master's replica)
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public synchronized LocalRedis awaitFailover(LocalRedis killed, Duration timeout) {
        List<Integer> slots = slotsOfKilled.get(killed);
        if (slots == null) {
            RedisClusterNode seen = view().getPartitionByNodeId(nodeId(killed));
            if (seen == null || seen.hasNoSlots()) {
                throw new IllegalArgumentException("port " + killed.port() + " served no slots");
            }
            slots = List.copyOf(seen.getSlots());
        }
        int slot = slots.get(0);
        String killedId = nodeId(killed);
        LocalRedis[] successor = new LocalRedis[1];
        NodeAdmin.await(timeout, "a failover of port " + killed.port() + " and cluster_state:ok", () -> {
            LocalRedis owner = null;
            for (LocalRedis node : nodes) {
                if (!node.isRunning()) {
                    continue;
                }
                if (!"ok".equals(clusterInfo(node).get("cluster_state"))) {
                    return false;
                }
                Optional<RedisClusterNode> seen = owner(parse(node), slot);
                if (seen.isEmpty() || seen.get().getNodeId().equals(killedId)) {
                    return false;
                }
                LocalRedis said = byId(seen.get().getNodeId());
                if (owner != null && said != owner) {
                    return false;
                }
                owner = said;
            }
            if (owner == null
                    || !"master".equals(admin.info(owner, "replication").get("role"))) {
                return false;
            }
            successor[0] = owner;
            return true;
        });
        slotsOfKilled.remove(killed);
        return successor[0];
    }

    /**
     * Starts a killed or stopped node again on its port and waits, up to the ready timeout, until it is
     * back in the cluster: {@code cluster_state:ok} on it, no running node flagging it as failing, and
     * either a master that the other nodes see serving slots, or a replica linked to its master (a former
     * master whose slots were taken over).
     *
     * @return {@code node}
     */
    public synchronized LocalRedis restart(LocalRedis node) {
        String id = nodeId(node);
        node.restart();
        NodeAdmin.await(readyTimeout, "port " + node.port() + " to rejoin the cluster", () -> {
            if (!"ok".equals(clusterInfo(node).get("cluster_state"))) {
                return false;
            }
            boolean servesSlots = false;
            boolean seenAsReplica = true;
            for (LocalRedis other : nodes) {
                if (other.isRunning()) {
                    RedisClusterNode seen = parse(other).getPartitionByNodeId(id);
                    if (seen == null || seen.is(NodeFlag.FAIL) || seen.is(NodeFlag.EVENTUAL_FAIL)) {
                        return false;
                    }
                    servesSlots |= other != node && !seen.getSlots().isEmpty();
                    seenAsReplica &= seen.is(NodeFlag.REPLICA) && seen.getSlaveOf() != null;
                }
            }
            // A former master whose slots were taken over first comes back as a master of nothing (Redis
            // 6.2 stays so longer): it has rejoined only once it is a replica, linked to its master, and
            // every running node has heard so (replicasOf reads one node's view: under load the gossip
            // lagged the link by seconds on 6.2, and a test saw the promoted master without a replica).
            Map<String, String> replication = admin.info(node, "replication");
            return "master".equals(replication.get("role"))
                    ? servesSlots
                    : "up".equals(replication.get("master_link_status")) && seenAsReplica;
        });
        return node;
    }

    /**
     * Moves {@code slot} with its keys from master {@code from} to master {@code to}, as
     * {@code redis-cli --cluster reshard} does: CLUSTER SETSLOT IMPORTING on {@code to}, MIGRATING on
     * {@code from}, MIGRATE of the slot's keys in batches (CLUSTER GETKEYSINSLOT) while clients get
     * {@code ASK} redirections, then CLUSTER SETSLOT NODE on {@code to}, {@code from} and the other
     * masters. Returns once every running node sees {@code to} as the owner.
     *
     * @return how many keys moved
     * @throws IllegalArgumentException if {@code from} does not serve {@code slot}, or {@code to} is not
     *     another running master
     */
    public synchronized int migrateSlot(int slot, LocalRedis from, LocalRedis to) {
        checkSlot(slot);
        String fromId = nodeId(from);
        String toId = nodeId(to);
        Partitions view = view();
        if (!owner(view, slot)
                .map(RedisClusterNode::getNodeId)
                .filter(fromId::equals)
                .isPresent()) {
            throw new IllegalArgumentException("port " + from.port() + " does not serve slot " + slot);
        }
        RedisClusterNode target = view.getPartitionByNodeId(toId);
        if (from == to || target == null || !target.is(NodeFlag.UPSTREAM) || !to.isRunning()) {
            throw new IllegalArgumentException("port " + to.port() + " is not another running master");
        }
        admin.call(to, redis -> redis.clusterSetSlotImporting(slot, fromId));
        admin.call(from, redis -> redis.clusterSetSlotMigrating(slot, toId));
        int moved = 0;
        while (true) {
            List<byte[]> keys = admin.callBytes(from, redis -> redis.clusterGetKeysInSlot(slot, MIGRATE_BATCH));
            if (keys.isEmpty()) {
                break;
            }
            admin.callBytes(
                    from,
                    redis -> redis.migrate(
                            to.host(), to.port(), 0, MIGRATE_TIMEOUT_MILLIS, MigrateArgs.Builder.keys(keys)));
            moved += keys.size();
        }
        // The target first, so the slot is never without an owner that accepts it.
        admin.call(to, redis -> redis.clusterSetSlotNode(slot, toId));
        admin.call(from, redis -> redis.clusterSetSlotNode(slot, toId));
        for (LocalRedis master : masters()) {
            if (master != to && master != from) {
                admin.call(master, redis -> redis.clusterSetSlotNode(slot, toId));
            }
        }
        NodeAdmin.await(readyTimeout, "every node to see slot " + slot + " on port " + to.port(), () -> {
            for (LocalRedis node : nodes) {
                if (node.isRunning()
                        && !owner(parse(node), slot)
                                .map(RedisClusterNode::getNodeId)
                                .filter(toId::equals)
                                .isPresent()) {
                    return false;
                }
            }
            return true;
        });
        return moved;
    }

    /** Waits until every running node reports {@code cluster_state:ok}. */
    public void awaitClusterOk(Duration timeout) {
        NodeAdmin.await(
                timeout,
                "cluster_state:ok on every running node",
                () -> nodes.stream()
                        .filter(LocalRedis::isRunning)
                        .allMatch(node -> "ok".equals(clusterInfo(node).get("cluster_state"))));
    }

    /** Kills every node and deletes its files. */
    @Override
    public synchronized void close() {
        nodes.forEach(LocalRedis::close);
        admin.close();
        NodeAdmin.deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "RedisClusterNodes{"
                + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.joining(",")) + '}';
    }

    private void launch(Builder builder) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                Long.toString(builder.nodeTimeout.toMillis()),
                "--repl-diskless-sync",
                "yes",
                "--repl-diskless-sync-delay",
                "0"));
        args.addAll(builder.args);
        for (int i = 0; i < NODES; i++) {
            nodes.add(startNode(builder.binary, Files.createDirectory(dir.resolve("node-" + i)), args));
        }
        for (LocalRedis node : nodes) {
            ids.put(node, admin.call(node, redis -> redis.clusterMyId()));
        }
        create();
        NodeAdmin.await(readyTimeout, "a settled cluster of " + NODES + " nodes", this::settled);
    }

    private LocalRedis startNode(LocalRedis.Binary binary, Path dataDir, List<String> args) {
        for (int attempt = 1; ; attempt++) {
            int port = freePortPair();
            try {
                return LocalRedis.builder()
                        .binary(binary)
                        .port(port)
                        .dataDir(dataDir)
                        .args(args)
                        .start();
            } catch (AgentBusException e) {
                // Another process may take the port or its bus port between the check and the bind.
                if (attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void create() throws IOException {
        List<String> command = new ArrayList<>(List.of(redisCli().toString(), "--cluster", "create"));
        nodes.forEach(node -> command.add(node.host() + ":" + node.port()));
        command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        Path log = dir.resolve("cluster-create.log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            boolean exited = process.waitFor(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited || process.exitValue() != 0) {
                throw new AgentBusException((exited ? "" : "timed out: ") + String.join(" ", command) + ": "
                        + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentBusException("interrupted while creating the cluster", e);
        } finally {
            process.destroyForcibly();
        }
    }

    private boolean settled() {
        for (LocalRedis node : nodes) {
            Map<String, String> info = clusterInfo(node);
            if (!"ok".equals(info.get("cluster_state"))
                    || !Integer.toString(NODES).equals(info.get("cluster_known_nodes"))
                    || !Integer.toString(SLOTS).equals(info.get("cluster_slots_ok"))) {
                return false;
            }
            Partitions view = parse(node);
            List<String> masters = view.stream()
                    .filter(n -> n.is(NodeFlag.UPSTREAM) && !n.hasNoSlots())
                    .map(RedisClusterNode::getNodeId)
                    .toList();
            // Each master with its own replica, as this node sees them: a view in which a replica is not
            // yet attached, or two follow one master, is not the steady cluster that replicasOf describes.
            Map<String, Long> replicasPerMaster = view.stream()
                    .filter(n -> n.is(NodeFlag.REPLICA) && n.getSlaveOf() != null)
                    .collect(Collectors.groupingBy(RedisClusterNode::getSlaveOf, Collectors.counting()));
            boolean failing = view.stream()
                    .anyMatch(n -> n.is(NodeFlag.FAIL) || n.is(NodeFlag.EVENTUAL_FAIL) || n.is(NodeFlag.HANDSHAKE));
            boolean paired = masters.stream()
                    .allMatch(master -> replicasPerMaster.getOrDefault(master, 0L) == (NODES - MASTERS) / MASTERS);
            if (masters.size() != MASTERS || !paired || failing) {
                return false;
            }
            Map<String, String> replication = admin.info(node, "replication");
            if ("slave".equals(replication.get("role")) && !"up".equals(replication.get("master_link_status"))) {
                return false;
            }
        }
        return true;
    }

    private Map<String, String> clusterInfo(LocalRedis node) {
        return NodeAdmin.parseInfo(admin.call(node, redis -> redis.clusterInfo()));
    }

    private Partitions parse(LocalRedis node) {
        String text = admin.call(node, redis -> redis.clusterNodes());
        return ClusterPartitionParser.parse(text);
    }

    /** The cluster as the first running node that answers sees it. */
    private Partitions view() {
        RuntimeException last = null;
        for (LocalRedis node : nodes) {
            if (node.isRunning()) {
                try {
                    return parse(node);
                } catch (io.lettuce.core.RedisException e) {
                    last = e;
                }
            }
        }
        throw new IllegalStateException("no node of the cluster answers", last);
    }

    private static Optional<RedisClusterNode> owner(Partitions view, int slot) {
        return view.stream()
                .filter(node -> node.is(NodeFlag.UPSTREAM) && node.hasSlot(slot))
                .findFirst();
    }

    private LocalRedis byId(String id) {
        return ids.entrySet().stream()
                .filter(entry -> entry.getValue().equals(id))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("node " + id + " is not one of this cluster"));
    }

    private static void checkSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot must be 0-" + (SLOTS - 1) + ", was " + slot);
        }
    }

    /** A port whose cluster bus port, 10000 above, is free too, both below the ephemeral range. */
    private static int freePortPair() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = LOWEST_PORT + ThreadLocalRandom.current().nextInt(PORT_RANGE);
            if (free(port) && free(port + BUS_PORT_OFFSET)) {
                return port;
            }
        }
        throw new AgentBusException("no free loopback port pair (p, p+" + BUS_PORT_OFFSET + ") from " + LOWEST_PORT);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path redisCli() {
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "redis-cli");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AgentBusException("no redis-cli on PATH (" + path + "); it creates the cluster");
    }

    /** Settings of a {@link RedisClusterNodes}. */
    public static final class Builder {
        private LocalRedis.Binary binary = LocalRedis.Binary.AUTO;
        private final List<String> args = new ArrayList<>();
        private Duration nodeTimeout = Duration.ofMillis(DEFAULT_NODE_TIMEOUT_MILLIS);
        private Duration readyTimeout = DEFAULT_READY_TIMEOUT;

        private Builder() {}

        /** Default {@link LocalRedis.Binary#AUTO}; {@code BUNDLED} runs every node on Redis 6.2. */
        public Builder binary(LocalRedis.Binary binary) {
            this.binary = Objects.requireNonNull(binary, "binary");
            return this;
        }

        /** Extra {@code redis-server} arguments for every node. */
        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        public Builder args(List<String> args) {
            this.args.addAll(args);
            return this;
        }

        /** {@code cluster-node-timeout}; default {@value RedisClusterNodes#DEFAULT_NODE_TIMEOUT_MILLIS} ms. */
        public Builder nodeTimeout(Duration nodeTimeout) {
            this.nodeTimeout = NodeAdmin.positive(nodeTimeout, "nodeTimeout");
            return this;
        }

        /** How long {@code start()}, {@code restart} and {@code migrateSlot} wait to settle; default 30 s. */
        public Builder readyTimeout(Duration readyTimeout) {
            this.readyTimeout = NodeAdmin.positive(readyTimeout, "readyTimeout");
            return this;
        }

        /** Starts the nodes, creates the cluster and waits until it is settled; kills them all if not. */
        public RedisClusterNodes start() {
            RedisClusterNodes cluster;
            try {
                cluster = new RedisClusterNodes(this);
            } catch (IOException e) {
                throw new AgentBusException("cannot prepare a cluster: " + e.getMessage(), e);
            }
            try {
                long began = System.nanoTime();
                cluster.launch(this);
                log.info("started {} in {} ms", cluster, (System.nanoTime() - began) / 1_000_000);
                return cluster;
            } catch (IOException | RuntimeException e) {
                cluster.close();
                throw new AgentBusException("could not start a cluster: " + e.getMessage(), e);
            }
        }
    }
}
