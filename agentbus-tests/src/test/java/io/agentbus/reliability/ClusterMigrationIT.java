package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Durability;
import io.agentbus.MessageHandler;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bus on a cluster follows slot migrations under load: ten agents whose slots are on one master receive
 * messages at a steady rate while their slots, one after the other, move with their keys to another master
 * ({@code CLUSTER SETSLOT … IMPORTING/MIGRATING}, {@code MIGRATE}, as {@code redis-cli --cluster reshard}).
 * Sends wait for one replica ({@code wait:1}, the path that runs on the node connection of the slot's
 * master), or not. Nothing acknowledged is lost, no redirection reaches a caller, every agent keeps receiving after its
 * slot moved, and the consumer groups of the inboxes (the bus's and another one with pending entries) are on
 * the new owner with their pending entries.
 */
@ExtendWith(RedisTopologyExtension.class)
class ClusterMigrationIT {

    private static final int AGENTS = 10;
    private static final int RATE = Scale.of(250, 500);
    private static final String PROBE_GROUP = "probe";
    private static final int PROBE_PENDING = 3;

    @Test
    void withWaitForOneReplicaSlotsOfBusyAgentsMoveWithoutLossOrSurfacedRedirections(RedisClusterNodes cluster)
            throws Exception {
        migrateUnderLoad(cluster, Durability.waitFor(1, Duration.ofSeconds(1)));
    }

    /** Without WAIT a send is routed by Lettuce's cluster connection, which follows MOVED and ASK itself. */
    @Test
    void withoutWaitSlotsOfBusyAgentsMoveWithoutLossOrSurfacedRedirections(RedisClusterNodes cluster) throws Exception {
        migrateUnderLoad(cluster, Durability.MEMORY);
    }

    private static void migrateUnderLoad(RedisClusterNodes cluster, Durability durability) throws Exception {
        LocalRedis from = cluster.masters().get(0);
        LocalRedis to = cluster.masters().get(1);
        List<AgentId> agents = new ArrayList<>();
        Set<Integer> slots = new HashSet<>();
        while (agents.size() < AGENTS) {
            AgentId agent = freshAgent("worker");
            int slot = cluster.slotOf(ClusterFailoverIT.tag(agent));
            if (cluster.masterOfSlot(slot) == from && slots.add(slot)) {
                agents.add(agent);
            }
        }
        BusOptions options = BusOptions.builder()
                .send(SendOptions.builder().durability(durability).build())
                .build();
        Map<AgentId, Long> lastDeliveryNanos = new ConcurrentHashMap<>();
        Map<AgentId, Long> movedNanos = new LinkedHashMap<>();
        RedisClusterClient admin = RedisClusterClient.create(cluster.seedUris());
        try (AgentBus consumers = AgentBus.connect(cluster.uri());
                AgentBus producer = AgentBus.connect(cluster.uri(), options);
                Traffic traffic = new Traffic(producer, agents, Traffic.OnFailure.RETRY_SAME_ID);
                StatefulRedisClusterConnection<String, String> routed = admin.connect()) {
            MessageHandler recorder = traffic.recorder();
            for (AgentId agent : agents) {
                consumers.subscribe(agent, delivery -> {
                    recorder.handle(delivery);
                    lastDeliveryNanos.put(agent, System.nanoTime());
                });
            }
            traffic.start(RATE);
            Thread.sleep(2_000);
            // A second group on each inbox with entries read and never acknowledged: its pending entries
            // must move with the stream.
            Map<AgentId, List<String>> probePending = new HashMap<>();
            for (AgentId agent : agents) {
                String band = inbox(agent);
                routed.sync()
                        .xgroupCreate(
                                XReadArgs.StreamOffset.from(band, "0"),
                                PROBE_GROUP,
                                XGroupCreateArgs.Builder.mkstream(false));
                List<String> read = routed
                        .sync()
                        .xreadgroup(
                                Consumer.from(PROBE_GROUP, "parked"),
                                XReadArgs.Builder.count(PROBE_PENDING),
                                XReadArgs.StreamOffset.lastConsumed(band))
                        .stream()
                        .map(message -> message.getId())
                        .toList();
                assertThat(read).hasSize(PROBE_PENDING);
                probePending.put(agent, read);
            }

            long began = System.nanoTime();
            int keysMoved = 0;
            for (AgentId agent : agents) {
                keysMoved += cluster.migrateSlot(cluster.slotOf(ClusterFailoverIT.tag(agent)), from, to);
                movedNanos.put(agent, System.nanoTime());
            }
            long migrationMillis = (System.nanoTime() - began) / 1_000_000;
            Thread.sleep(3_000); // traffic to every agent on its new master
            assertThat(traffic.finish(Duration.ofSeconds(60)))
                    .as("every attempted send acknowledged in the end")
                    .isTrue();
            await().atMost(Duration.ofSeconds(60)).until(traffic::caughtUp);
            boolean drained = ClusterFailoverIT.awaitDrained(cluster, agents);
            boolean readersFollowed = agents.stream()
                    .allMatch(agent -> lastDeliveryNanos.getOrDefault(agent, 0L) - movedNanos.get(agent) > 0);

            List<Traffic.Failure> redirections = traffic.failures().stream()
                    .filter(failure ->
                            ClusterFailoverIT.REDIRECTION.matcher(failure.why()).find())
                    .toList();
            redirections.stream()
                    .limit(5)
                    .forEach(failure -> ScenarioResult.note("cluster-migration", "redirection: " + failure.why()));

            // The groups, read on the new owner itself (not routed): the bus's, and the probe with its entries.
            boolean groupsMoved = true;
            RedisClient direct = RedisClient.create(to.uri());
            try (StatefulRedisConnection<String, String> owner = direct.connect()) {
                for (AgentId agent : agents) {
                    Map<String, Map<String, Object>> groups =
                            groups(owner.sync().xinfoGroups(inbox(agent)));
                    List<String> stillPending = owner
                            .sync()
                            .xpending(inbox(agent), PROBE_GROUP, Range.create("-", "+"), Limit.from(100))
                            .stream()
                            .map(pending -> pending.getId())
                            .toList();
                    boolean ok = groups.containsKey(KeySchema.INBOX_GROUP)
                            && groups.containsKey(PROBE_GROUP)
                            && stillPending.equals(probePending.get(agent));
                    if (!ok) {
                        ScenarioResult.note(
                                "cluster-migration",
                                agent + " groups on the new owner: " + groups + ", probe pending " + stillPending);
                    }
                    groupsMoved &= ok;
                }
            } finally {
                direct.shutdown();
            }

            ScenarioResult.print(
                    "cluster-migration",
                    "agents",
                    AGENTS,
                    "durability",
                    durability,
                    "rate",
                    RATE,
                    "slots_moved",
                    AGENTS,
                    "keys_moved",
                    keysMoved,
                    "migration_ms",
                    migrationMillis,
                    "acknowledged",
                    traffic.acknowledged(),
                    "rejected_sends",
                    traffic.rejected(),
                    "lost",
                    traffic.lost(),
                    "duplicated",
                    traffic.duplicated(),
                    "surfaced_redirections",
                    redirections.size(),
                    "readers_followed",
                    readersFollowed,
                    "groups_moved",
                    groupsMoved);

            assertThat(traffic.lost()).isZero();
            assertThat(redirections).isEmpty();
            assertThat(readersFollowed)
                    .as("every agent received after its slot moved")
                    .isTrue();
            assertThat(groupsMoved)
                    .as("consumer groups and pending entries on the new owner")
                    .isTrue();
            assertThat(drained).as("every inbox drained").isTrue();
        } finally {
            admin.shutdown();
        }
    }

    private static String inbox(AgentId agent) {
        return KeySchema.inbox(agent, 5);
    }

    /** XINFO GROUPS as group name to its fields. */
    private static Map<String, Map<String, Object>> groups(List<Object> reply) {
        Map<String, Map<String, Object>> groups = new LinkedHashMap<>();
        for (Object group : reply) {
            List<?> fields = (List<?>) group;
            Map<String, Object> byName = new LinkedHashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                byName.put(String.valueOf(fields.get(i)), fields.get(i + 1));
            }
            groups.put(String.valueOf(byName.get("name")), byName);
        }
        return groups;
    }
}
