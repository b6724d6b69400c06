package io.agentbus.cluster;

import static io.agentbus.cluster.ClusterMessagingIT.tag;
import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusListener;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionState;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisTopologyExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What {@link AgentBus#connectionState()} and {@link BusListener#connectionStateChanged} say on a cluster,
 * where the command connection is one connection per node: disconnected while a master that holds slots
 * cannot be reached, connected again once its replica took the slots over; a replica that dies changes
 * nothing a caller depends on. Messages read from the dead master before it died are handled.
 */
@ExtendWith(RedisTopologyExtension.class)
@RedisServerConfig(perTest = true)
class ClusterConnectionStateIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aDeadMasterDisconnectsTheBusUntilItsReplicaTakesOver(RedisClusterNodes cluster) throws Exception {
        AgentId agent = freshAgent("worker");
        LocalRedis master = cluster.masterOf(tag(agent));
        List<ConnectionState.Status> seen = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(cluster.uri(), recordingStates(seen))) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(agent, handler);
            bus.sync().send(task(agent, 0));
            handler.await(1, WAIT);
            assertThat(bus.connectionState().isConnected()).isTrue();

            LocalRedis promoted = cluster.awaitFailover(cluster.killMaster(master), WAIT);
            // The kill is seen as soon as a connection tries the node again; the failover takes seconds.
            await().atMost(WAIT).until(() -> seen.contains(ConnectionState.Status.DISCONNECTED));
            await().atMost(WAIT).until(() -> bus.connectionState().isConnected());
            assertThat(cluster.masterOf(tag(agent))).isEqualTo(promoted);

            bus.sync().send(task(agent, 1));
            assertThat(handler.await(2, WAIT)).hasSize(2);
            assertThat(seen).containsSubsequence(ConnectionState.Status.DISCONNECTED, ConnectionState.Status.CONNECTED);
        }
    }

    @Test
    void aDeadReplicaLeavesTheBusConnected(RedisClusterNodes cluster) throws Exception {
        AgentId agent = freshAgent("worker");
        LocalRedis master = cluster.masterOf(tag(agent));
        List<ConnectionState.Status> seen = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(cluster.uri(), recordingStates(seen))) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(agent, handler);
            cluster.replicasOf(master).get(0).kill();

            // Until the other nodes mark the replica failed, and a read poll at its slowest after that.
            Thread.sleep(3_000);
            bus.sync().send(task(agent, 0));
            assertThat(handler.await(1, WAIT)).hasSize(1);
            assertThat(seen).doesNotContain(ConnectionState.Status.DISCONNECTED);
            assertThat(bus.connectionState().status()).isEqualTo(ConnectionState.Status.CONNECTED);
        }
    }

    /** Options whose listener records each status the bus announces, once per change. */
    private static BusOptions recordingStates(List<ConnectionState.Status> seen) {
        return BusOptions.builder()
                .listener(new BusListener() {
                    @Override
                    public void connectionStateChanged(ConnectionState state) {
                        if (seen.isEmpty() || seen.get(seen.size() - 1) != state.status()) {
                            seen.add(state.status());
                        }
                    }
                })
                .build();
    }

    private static Envelope task(AgentId to, int n) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task_assignment")
                .payload(Map.of("n", n))
                .build();
    }
}
