package io.agentbus.cluster;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code cluster-fan-in}: many agents in one process on a 3-master cluster, each receiving a message,
 * on a number of connections that depends on the nodes, not on the agents; and what the polling lanes
 * cost the servers while those agents are idle (docs/adr/0002-reading-on-a-cluster.md).
 */
@ExtendWith(RedisTopologyExtension.class)
class ClusterFanInIT {

    /** Reader lanes of the inbox group: every agent has one instance here, so one lane. */
    private static final int LANES = 1;
    /** Besides commands and lanes per master: each cluster connection's seed connection, a refresh in flight. */
    private static final int SLACK = 6;

    @Test
    void aThousandAgentsEachReceiveAMessageOnConnectionsThatDependOnTheNodesOnly(RedisClusterNodes cluster)
            throws Exception {
        run(cluster, 1_000, true);
    }

    @Test
    void aHundredIdleAgentsCostLittle(RedisClusterNodes cluster) throws Exception {
        run(cluster, 100, false);
    }

    private static void run(RedisClusterNodes cluster, int agents, boolean assertConnections) throws Exception {
        long started = System.nanoTime();
        try (AgentBus bus = AgentBus.connect(cluster.uri())) {
            Set<AgentId> delivered = ConcurrentHashMap.newKeySet();
            List<AgentId> ids = new ArrayList<>();
            for (int i = 0; i < agents; i++) {
                AgentId agent = freshAgent("fan");
                ids.add(agent);
                bus.subscribe(
                        agent, delivery -> delivered.add(delivery.envelope().toAgent()));
            }
            long subscribedAt = System.nanoTime();

            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (AgentId agent : ids) {
                sends.add(bus.send(Envelope.builder()
                                .from("hub")
                                .to(agent)
                                .type("ping")
                                .payload("{}")
                                .build())
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (delivered.size() < agents && System.nanoTime() < deadline) {
                Thread.sleep(20); // polled, not slept on: the deadline bounds it
            }
            long deliveredAt = System.nanoTime();
            int connections = countOnEveryNode(cluster, ClusterFanInIT::busConnections);

            // Idle: let the polls reach their longest interval, then sample the masters' counters.
            Thread.sleep(3_000);
            Map<LocalRedis, long[]> before = sample(cluster);
            long sampledAt = System.nanoTime();
            Thread.sleep(5_000);
            Map<LocalRedis, long[]> after = sample(cluster);
            double seconds = (System.nanoTime() - sampledAt) / 1e9;
            long commands = 0;
            long cpuMicros = 0;
            for (LocalRedis master : cluster.masters()) {
                commands += after.get(master)[0] - before.get(master)[0];
                cpuMicros += after.get(master)[1] - before.get(master)[1];
            }

            System.out.printf(
                    "RESULT scenario=cluster-fan-in agents=%d masters=%d lanes=%d connections=%d delivered=%d"
                            + " subscribe_ms=%d deliver_ms=%d idle_commands_per_sec=%.0f idle_cpu_pct_all_masters=%.1f%n",
                    agents,
                    cluster.masters().size(),
                    LANES,
                    connections,
                    delivered.size(),
                    TimeUnit.NANOSECONDS.toMillis(subscribedAt - started),
                    TimeUnit.NANOSECONDS.toMillis(deliveredAt - subscribedAt),
                    commands / seconds,
                    cpuMicros / 1e4 / seconds);
            assertThat(delivered).hasSize(agents);
            if (assertConnections) {
                assertThat(connections).isLessThanOrEqualTo(cluster.masters().size() * (LANES + 2) + SLACK);
            }
        }
    }

    /** The connections this bus holds on one node: its cluster connections are all named {@code agentbus}. */
    private static int busConnections(StatefulRedisConnection<String, String> node) {
        int count = 0;
        for (String line : node.sync().clientList().split("\n")) {
            if (line.contains(" name=agentbus ")) {
                count++;
            }
        }
        return count;
    }

    /** Per master: commands processed so far, and CPU used (user + system) in microseconds. */
    private static Map<LocalRedis, long[]> sample(RedisClusterNodes cluster) {
        Map<LocalRedis, long[]> samples = new ConcurrentHashMap<>();
        for (LocalRedis master : cluster.masters()) {
            samples.put(master, onNode(master, node -> {
                String stats = node.sync().info("stats");
                String cpu = node.sync().info("cpu");
                long processed = Long.parseLong(field(stats, "total_commands_processed"));
                double used = Double.parseDouble(field(cpu, "used_cpu_user"))
                        + Double.parseDouble(field(cpu, "used_cpu_sys"));
                return new long[] {processed, (long) (used * 1e6)};
            }));
        }
        return samples;
    }

    private static int countOnEveryNode(
            RedisClusterNodes cluster, Function<StatefulRedisConnection<String, String>, Integer> count) {
        int total = 0;
        for (LocalRedis node : cluster.nodes()) {
            total += onNode(node, count);
        }
        return total;
    }

    private static <T> T onNode(LocalRedis node, Function<StatefulRedisConnection<String, String>, T> action) {
        RedisClient client = RedisClient.create(RedisURI.create(node.uri()));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return action.apply(connection);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    private static String field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new IllegalStateException("INFO has no " + name);
    }
}
