package io.agentbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.BusUnavailableException;
import io.agentbus.Envelope;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.reliability.ConsumerProcess;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisTopologyExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ephemeral broadcast on a cluster, across processes: a listening bus in this JVM and one in a child
 * JVM, each seeded with a single cluster node (a different one each, one of them a replica), hear every
 * broadcast a third bus, seeded with yet another node, publishes on two channels (one listened to by
 * name, one by pattern). Classic {@code PUBLISH} is forwarded by the cluster bus to every node, so the
 * node a listener's pub/sub connection is on does not matter; sharded pub/sub would not be. And when
 * the node a listener's pub/sub connection is on dies, the listener hears broadcasts again once the
 * connection is on another node.
 */
@ExtendWith(RedisTopologyExtension.class)
@RedisServerConfig(perTest = true)
class ClusterBroadcastIT {

    private static final String SCENARIO = "cluster-broadcast";
    private static final int PER_CHANNEL = 100;
    private static final List<String> CHANNELS =
            List.of("events:cluster-broadcast:alpha", "events:cluster-broadcast:beta");
    private static final List<String> LISTENED =
            List.of("events:cluster-broadcast:alpha", "events:cluster-broadcast:b*");
    private static final String FENCE = "fence";

    @Test
    void listenersInTwoProcessesSeededWithDifferentNodesHearEveryBroadcast(RedisClusterNodes cluster) throws Exception {
        List<LocalRedis> nodes = cluster.nodes();
        LocalRedis localSeed = cluster.masters().get(0);
        LocalRedis childSeed = cluster.replicasOf(cluster.masters().get(1)).get(0);
        LocalRedis publisherSeed = cluster.masters().get(2);
        List<String> local = new CopyOnWriteArrayList<>();
        List<String> sent = new ArrayList<>();
        try (AgentBus listener = AgentBus.connect(seedUri(localSeed));
                ConsumerProcess child = ConsumerProcess.start(
                        Path.of("target", SCENARIO, "listener.log"),
                        BroadcastListenerMain.class,
                        seedUri(childSeed),
                        LISTENED.get(0),
                        LISTENED.get(1));
                AgentBus publisher = AgentBus.connect(seedUri(publisherSeed))) {
            for (String channel : LISTENED) {
                listener.listen(channel, (on, message) -> local.add("HEARD " + on + " " + message.messageId()));
            }
            child.awaitReady(Duration.ofSeconds(60));
            System.err.println("NOTE scenario=" + SCENARIO + " pubsub connections per node: " + pubsubClients(nodes));

            List<CompletableFuture<PublishReceipt>> publishes = new ArrayList<>();
            for (int i = 0; i < PER_CHANNEL; i++) {
                for (String channel : CHANNELS) {
                    publishes.add(publisher.publish(channel, event("tick", i)).toCompletableFuture());
                }
            }
            for (CompletableFuture<PublishReceipt> publish : publishes) {
                sent.add(publish.get(10, TimeUnit.SECONDS).messageId().value());
            }
            // One publisher connection, one cluster bus link per pair of nodes: a listener that heard the
            // fence published after the broadcasts has heard every broadcast it was going to hear.
            Set<String> fences = CHANNELS.stream()
                    .map(channel -> publisher
                            .sync()
                            .publish(channel, event(FENCE, 0))
                            .messageId()
                            .value())
                    .collect(Collectors.toSet());
            awaitQuietly(() -> heardAll(local, fences) && heardAll(child.output(), fences));

            Map<String, Integer> missedAndDuplicated = new HashMap<>();
            for (List<String> heard : List.of(local, child.output())) {
                Map<String, Long> times = heard.stream()
                        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                        .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
                for (String id : sent) {
                    long count = times.getOrDefault(id, 0L);
                    missedAndDuplicated.merge("missed", count == 0 ? 1 : 0, Integer::sum);
                    missedAndDuplicated.merge("duplicated", (int) Math.max(0, count - 1), Integer::sum);
                }
            }
            int missed = missedAndDuplicated.get("missed");
            int duplicated = missedAndDuplicated.get("duplicated");
            System.out.println("RESULT scenario=" + SCENARIO + " listeners=2 sent=" + sent.size() + " missed=" + missed
                    + " duplicated=" + duplicated);
            System.err.println("NOTE scenario=" + SCENARIO + " seeds: listener " + address(localSeed) + " (master),"
                    + " child listener " + address(childSeed) + " (replica), publisher " + address(publisherSeed)
                    + " (master); publish receipts count only the publishing node's subscribers: "
                    + publishes.stream().mapToLong(p -> p.join().receivers()).sum() + " of " + 2 * sent.size());

            assertThat(missed).isZero();
            assertThat(duplicated).isZero();
            assertThat(listener.broadcastStats().gaps()).isZero();
            // Most PUBLISH replies are 0 here (the listeners are on other nodes): no loss on a cluster.
            assertThat(publisher.broadcastStats().unheard()).isZero();
        }
    }

    @Test
    void aListenerWhosePubSubNodeDiesHearsBroadcastsAgain(RedisClusterNodes cluster) throws Exception {
        String channel = CHANNELS.get(0);
        List<String> heard = new CopyOnWriteArrayList<>();
        try (AgentBus listener = AgentBus.connect(cluster.uri());
                AgentBus publisher = AgentBus.connect(cluster.uri())) {
            listener.listen(channel, (on, message) -> heard.add("HEARD " + on + " " + message.messageId()));
            LocalRedis pubsubNode = cluster.nodes().stream()
                    .filter(node -> pubsubClients(List.of(node)).get(address(node)) > 0)
                    .findFirst()
                    .orElseThrow();
            boolean wasMaster = cluster.masters().contains(pubsubNode);
            long killedNanos = System.nanoTime();
            if (wasMaster) {
                cluster.awaitFailover(cluster.killMaster(pubsubNode), Duration.ofSeconds(30));
            } else {
                pubsubNode.kill();
            }

            // Publish until the listener hears one again: then it is subscribed on another node. A publish
            // fails while the master of the channel's slot is the one that died, or is not yet connected to
            // (broadcasts are best effort: not sent again); those are counted, not what this test is about.
            Set<String> probes = new java.util.HashSet<>();
            AtomicInteger failedPublishes = new AtomicInteger();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        try {
                            probes.add(publisher
                                    .sync()
                                    .publish(channel, event("probe", 0))
                                    .messageId()
                                    .value());
                        } catch (BusUnavailableException failedOver) {
                            failedPublishes.incrementAndGet();
                        }
                        return heard.stream()
                                .anyMatch(line -> probes.contains(line.substring(line.lastIndexOf(' ') + 1)));
                    });
            long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNanos);

            List<String> after = new ArrayList<>();
            for (int i = 0; i < PER_CHANNEL; i++) {
                after.add(publisher
                        .sync()
                        .publish(channel, event("tick", i))
                        .messageId()
                        .value());
            }
            Set<String> fence = Set.of(publisher
                    .sync()
                    .publish(channel, event(FENCE, 0))
                    .messageId()
                    .value());
            awaitQuietly(() -> heardAll(heard, fence));
            Set<String> heardIds = heard.stream()
                    .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .collect(Collectors.toSet());
            long missed = after.stream().filter(id -> !heardIds.contains(id)).count();
            System.out.println("RESULT scenario=" + SCENARIO + "-node-loss killed=" + (wasMaster ? "master" : "replica")
                    + " recovery_ms=" + recoveryMillis + " failed_publishes=" + failedPublishes.get() + " sent_after="
                    + after.size() + " missed_after=" + missed);
            assertThat(missed).isZero();
        }
    }

    private static Envelope event(String type, int n) {
        return Envelope.builder()
                .from("announcer")
                .to("everyone")
                .type(type)
                .payload(Map.of("n", n))
                .build();
    }

    private static boolean heardAll(Collection<String> heard, Set<String> ids) {
        return heard.stream()
                .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .collect(Collectors.toSet())
                .containsAll(ids);
    }

    /** Waits up to 20 s; what did not come is counted as missed by the caller. */
    private static void awaitQuietly(java.util.concurrent.Callable<Boolean> condition) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(condition);
        } catch (ConditionTimeoutException e) {
            // measured by the caller
        }
    }

    /** The cluster reached through {@code node} alone: Lettuce learns the other nodes from it. */
    private static String seedUri(LocalRedis node) {
        return "redis-cluster://" + address(node);
    }

    private static String address(LocalRedis node) {
        return node.host() + ":" + node.port();
    }

    /** Per node, how many of its clients are subscribed to something (CLIENT LIST flag {@code P}). */
    private static Map<String, Long> pubsubClients(List<LocalRedis> nodes) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        for (LocalRedis node : nodes) {
            try (RawRedis raw = RawRedis.connect(node)) {
                long subscribed = raw.commands()
                        .clientList()
                        .lines()
                        .filter(line -> line.matches(".* flags=\\S*P\\S* .*"))
                        .count();
                counts.put(address(node), subscribed);
            }
        }
        return counts;
    }
}
