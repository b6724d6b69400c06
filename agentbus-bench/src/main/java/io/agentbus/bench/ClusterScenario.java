package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * {@link Scenario#CLUSTER}: direct throughput to {@link Plan#clusterAgents()} agents in one process (one
 * inbox and one running instance each, messages spread evenly), first on one {@code redis-server}
 * ({@code standalone}), then on a Redis Cluster of 3 masters and 3 replicas ({@code cluster}): the one the
 * bench starts on loopback with {@link RedisClusterNodes}, or the {@code redis-cluster://} URI given.
 * Each topology gets a warm-up and {@link Plan#throughputRuns()} runs, the median reported, then the
 * connections this process holds on all nodes ({@link Harness#processConnections()}) and, per master,
 * how many of the agents' inbox streams and entries it stores ({@link Harness#spread}).
 *
 * <p>The topologies run one after the other, never side by side: an idle agentbus on a cluster still
 * polls (docs/adr/0002), which would take CPU from the other half's measurement.
 */
final class ClusterScenario {

    /** The {@code topology} param of the standalone half. */
    static final String STANDALONE = "standalone";
    /** The {@code topology} param of the cluster half. */
    static final String CLUSTER = "cluster";

    /**
     * cluster-node-timeout of the cluster the bench starts: Redis's default, not the fixture's 2 s made for
     * failover tests. Under load on 2 shared cores a node's pings can lag 2 s; the nodes then declared a
     * master failed mid-run (CLUSTERDOWN, a failover), and the run measured that instead.
     */
    static final Duration NODE_TIMEOUT = Duration.ofSeconds(15);

    private final BenchSystem system;
    private final Plan plan;
    private final Status status;
    private final Consumer<String> log;
    private final Optional<String> target;
    private final List<Result> results;

    /** Adds its figures to {@code results} as each topology is measured. */
    ClusterScenario(
            BenchSystem system,
            Plan plan,
            Status status,
            Consumer<String> log,
            Optional<String> target,
            List<Result> results) {
        this.system = system;
        this.plan = plan;
        this.status = status;
        this.log = log;
        this.target = target;
        this.results = results;
    }

    /**
     * Measures both topologies, adding the figures of each as it is done: if the cluster half fails, the
     * standalone figures stay and the failure is thrown.
     */
    void run() throws Exception {
        int agents = plan.clusterAgents();
        status.phase("cluster: starting redis-server");
        try (LocalRedis redis = LocalRedis.start();
                Harness harness = new Harness(redis, status)) {
            List<String> names = names(agents, "worker-");
            measure(STANDALONE, 1, harness, names, sink -> system.open(redis, names, sink));
        }
        if (target.isPresent()) {
            // Someone else's cluster: fresh agent ids, so that an earlier run's entries neither count nor mix in.
            String prefix = "bench-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36) + "-worker-";
            List<String> names = names(agents, prefix);
            try (Harness harness = Harness.onCluster(seeds(target.get()), status)) {
                measure(CLUSTER, -1, harness, names, sink -> system.openCluster(target.get(), names, sink));
            }
            return;
        }
        status.phase("cluster: starting a cluster of 3 masters and 3 replicas");
        try (RedisClusterNodes cluster =
                        RedisClusterNodes.builder().nodeTimeout(NODE_TIMEOUT).start();
                Harness harness = Harness.onCluster(cluster.seedUris(), status)) {
            List<String> names = names(agents, "worker-");
            measure(
                    CLUSTER,
                    cluster.masters().size(),
                    harness,
                    names,
                    sink -> system.openCluster(cluster.uri(), names, sink));
        }
    }

    /** How a topology's rig is opened. */
    private interface Opening {
        BenchSystem.Rig open(Sink sink) throws Exception;
    }

    private void measure(String topology, int masters, Harness harness, List<String> names, Opening opening)
            throws Exception {
        String label = "cluster, " + topology + ", " + names.size() + " agents";
        status.phase(label + ": connecting");
        Sink sink = new Sink();
        long opened = System.nanoTime();
        BenchSystem.Rig rig = opening.open(sink);
        long working = System.nanoTime();
        List<Harness.Throughput> runs = new ArrayList<>();
        long connections;
        List<Harness.Shard> spread;
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        try {
            harness.throughput(
                    rig, sink, names.size(), plan.clusterWarmup(), payload, plan.inFlight(), label + " warm-up");
            for (int run = 1; run <= plan.throughputRuns(); run++) {
                runs.add(harness.throughput(
                        rig,
                        sink,
                        names.size(),
                        plan.clusterMessages(),
                        payload,
                        plan.inFlight(),
                        label + " run " + run + "/" + plan.throughputRuns()));
            }
            connections = harness.processConnections();
            spread = harness.spread(names.stream().map(Payloads::inbox).toList());
        } finally {
            status.phase(label + ": closing");
            harness.slowCommands().forEach(line -> log.accept(system.name() + ": slow on the server: " + line));
            long closing = System.nanoTime();
            rig.close();
            log.accept(String.format(
                    Locale.ROOT,
                    "%s: %s, open %.1f s, work %.1f s, close %.1f s",
                    system.name(),
                    label,
                    (working - opened) / 1e9,
                    (closing - working) / 1e9,
                    (System.nanoTime() - closing) / 1e9));
        }
        Harness.Throughput median = SystemRun.median(runs);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("topology", topology);
        params.put("masters", masters > 0 ? masters : spread.size());
        params.put("agents", names.size());
        params.put("messages", median.messages());
        params.put("payload_bytes", Plan.PAYLOAD_BYTES);
        params.put("in_flight", plan.inFlight());
        params.put("warmup_messages", plan.clusterWarmup());
        params.put("runs", runs.size());
        params.put(
                "runs_msgs_per_s",
                runs.stream().map(r -> SystemRun.round(r.perSecond())).toList());
        add(Result.MSGS_PER_S, SystemRun.round(median.perSecond()), params);
        add(Result.CONNECTIONS, connections, params);
        for (int i = 0; i < spread.size(); i++) {
            Harness.Shard shard = spread.get(i);
            Map<String, Object> at = new LinkedHashMap<>();
            at.put("topology", topology);
            at.put("agents", names.size());
            at.put("master", i + 1);
            at.put("node", shard.master());
            at.put("streams", shard.streams());
            add(Result.STORED_MESSAGES, shard.entries(), at);
        }
    }

    /** Counts stay exact; a rate is rounded by the caller. */
    private void add(String metric, double value, Map<String, Object> params) {
        results.add(new Result(system.name(), Scenario.CLUSTER.id(), metric, value, params));
    }

    private static List<String> names(int agents, String prefix) {
        List<String> names = new ArrayList<>(agents);
        for (int i = 0; i < agents; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    /**
     * The seed nodes of a {@code redis-cluster://[user:password@]host:port,host:port} URI, for the harness's
     * probe, read as agentbus reads them: each seed gets the credentials.
     */
    static List<RedisURI> seeds(String clusterUri) {
        String rest = clusterUri.substring(BenchSettings.CLUSTER_SCHEME.length());
        String credentials = rest.contains("@") ? rest.substring(0, rest.lastIndexOf('@') + 1) : "";
        String hosts = rest.substring(credentials.length()).split("[/?]", 2)[0];
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : hosts.split(",")) {
            seeds.add(RedisURI.create("redis://" + credentials + host));
        }
        return seeds;
    }
}
