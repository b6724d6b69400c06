package io.agentbus.cluster;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Durability;
import io.agentbus.Envelope;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisTopologyExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bus on a 3-master cluster (3 replicas): direct messages to agents whose slots are on every
 * master, retries and dead letters, request/reply, broadcast, and durable sends that WAIT on the
 * master of the agent's slot. No MOVED, ASK or CROSSSLOT reaches the caller.
 */
@ExtendWith(RedisTopologyExtension.class)
class ClusterMessagingIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aThousandMessagesToTenAgentsOnThreeMastersAreAllHandledAndAcked(RedisClusterNodes cluster) throws Exception {
        List<AgentId> agents = agentsOnEveryMaster(cluster, 10);
        try (AgentBus bus = AgentBus.connect(cluster.uri())) {
            Map<AgentId, RecordingHandler> handlers = new LinkedHashMap<>();
            for (AgentId agent : agents) {
                RecordingHandler handler = RecordingHandler.acking();
                handlers.put(agent, handler);
                bus.subscribe(agent, handler);
            }

            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                AgentId to = agents.get(i % agents.size());
                sends.add(bus.send(task(to, i)).toCompletableFuture());
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

            await().atMost(WAIT)
                    .until(() -> handlers.values().stream()
                                    .mapToInt(h -> h.deliveries().size())
                                    .sum()
                            >= 1000);
            for (AgentId agent : agents) {
                await().atMost(WAIT).until(() -> bus.sync().inbox(agent).pending() == 0);
                assertThat(handlers.get(agent).timesSeen())
                        .hasSize(100)
                        .allSatisfy((id, times) -> assertThat(times).isEqualTo(1));
                assertThat(bus.sync().inbox(agent).length()).isEqualTo(100);
            }
        }
    }

    @Test
    void retriesAndDeadLettersWorkOnEveryMaster(RedisClusterNodes cluster) {
        BusOptions options = BusOptions.builder()
                .delivery(DeliveryOptions.builder()
                        .visibilityTimeout(Duration.ofSeconds(1))
                        .maxAttempts(3)
                        .backoff(Backoff.fixed(Duration.ofMillis(50)))
                        .build())
                .build();
        List<AgentId> flaky = agentsOnEveryMaster(cluster, 3);
        List<AgentId> strict = agentsOnEveryMaster(cluster, 3);
        try (AgentBus bus = AgentBus.connect(cluster.uri(), options)) {
            Map<AgentId, List<Integer>> attempts = new LinkedHashMap<>();
            for (AgentId agent : flaky) {
                List<Integer> seen = new CopyOnWriteArrayList<>();
                attempts.put(agent, seen);
                bus.subscribe(agent, delivery -> {
                    seen.add(delivery.attempt());
                    if (delivery.attempt() < 3) {
                        throw new IllegalStateException("transient failure " + delivery.attempt());
                    }
                });
            }
            for (AgentId agent : strict) {
                bus.subscribe(agent, delivery -> delivery.deadLetter("refused"));
            }

            flaky.forEach(agent -> bus.sync().send(task(agent, 0)));
            strict.forEach(agent -> bus.sync().send(task(agent, 0)));

            for (AgentId agent : flaky) {
                await().atMost(WAIT)
                        .until(() -> attempts.get(agent).size() == 3
                                && bus.sync().inbox(agent).pending() == 0);
                assertThat(attempts.get(agent)).containsExactly(1, 2, 3);
                assertThat(bus.deadLetters(agent).count()).isZero();
            }
            for (AgentId agent : strict) {
                await().atMost(WAIT).until(() -> bus.deadLetters(agent).count() == 1);
            }
        }
    }

    @Test
    void requestReplyAndBroadcastReachTheirTargets(RedisClusterNodes cluster) throws Exception {
        List<AgentId> agents = agentsOnEveryMaster(cluster, 3);
        AgentId requester = agents.get(0);
        AgentId answering = agents.stream()
                .filter(agent -> cluster.masterOf(tag(agent)) != cluster.masterOf(tag(requester)))
                .findFirst()
                .orElseThrow();
        // The listener's bus is seeded with the nodes in the other order, so its pub/sub connection
        // is likely on another node than the publisher's: classic pub/sub reaches every node.
        List<String> seeds = new ArrayList<>(
                List.of(cluster.uri().substring("redis-cluster://".length()).split(",")));
        java.util.Collections.reverse(seeds);
        String reversed = "redis-cluster://" + String.join(",", seeds);
        try (AgentBus bus = AgentBus.connect(cluster.uri());
                AgentBus listener = AgentBus.connect(reversed)) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(answering, request -> Map.of("answer", 42));
            List<String> heard = new CopyOnWriteArrayList<>();
            listener.listen("events:cluster:*", (channel, message) -> heard.add(channel + " " + message.messageType()));

            Envelope reply = bus.sync()
                    .request(
                            Envelope.builder()
                                    .from(requester)
                                    .to(answering)
                                    .type("question")
                                    .payload("{}")
                                    .build(),
                            Duration.ofSeconds(10));
            bus.publish(
                            "events:cluster:created",
                            Envelope.builder()
                                    .from("cmo")
                                    .to("everyone")
                                    .type("created")
                                    .payload("{}")
                                    .build())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);

            assertThat(reply.payload()).contains("42");
            await().atMost(WAIT).until(() -> heard.contains("events:cluster:created created"));
        }
    }

    @Test
    void durableSendsToAnAgentOnEachMasterWaitForItsReplica(RedisClusterNodes cluster) throws Exception {
        BusOptions options = BusOptions.builder()
                .send(SendOptions.builder()
                        .durability(Durability.waitFor(1, Duration.ofSeconds(2)))
                        .build())
                .build();
        List<AgentId> agents = agentsOnEveryMaster(cluster, 3);
        try (AgentBus bus = AgentBus.connect(cluster.uri(), options)) {
            RecordingHandler handler = RecordingHandler.acking();
            agents.forEach(agent -> bus.subscribe(agent, handler));

            for (AgentId agent : agents) {
                SendReceipt receipt = bus.sync().send(task(agent, 1));
                assertThat(receipt.duplicate()).isFalse();
            }

            handler.await(agents.size(), WAIT);
            Set<LocalRedis> masters = new HashSet<>();
            agents.forEach(agent -> masters.add(cluster.masterOf(tag(agent))));
            assertThat(masters).containsExactlyInAnyOrderElementsOf(cluster.masters());
        }
    }

    /** {@code count} fresh agents, at least one whose slot is on each master. */
    static List<AgentId> agentsOnEveryMaster(RedisClusterNodes cluster, int count) {
        List<AgentId> agents = new ArrayList<>();
        Set<LocalRedis> covered = new HashSet<>();
        while (covered.size() < cluster.masters().size()) {
            AgentId agent = freshAgent("worker");
            if (covered.add(cluster.masterOf(tag(agent)))) {
                agents.add(agent);
            }
        }
        while (agents.size() < count) {
            agents.add(freshAgent("worker"));
        }
        return agents;
    }

    /** A key in the agent's slot: every key of an agent carries its id as the hash tag. */
    static String tag(AgentId agent) {
        return "{" + agent.value() + "}";
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
