package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Durability;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bus on a cluster follows the failover of the master that holds its agents' slots: 200 msg/s to two
 * agents whose slots are on one master, each run by two instances in two processes (four consumers), while
 * that master is killed ({@code kill -9}), its replica takes the slots over, and the old master comes back
 * as a replica. With {@code durability wait:1} an acknowledged send is on the replica when the master dies,
 * so nothing acknowledged is lost; no {@code MOVED}, {@code ASK}, {@code CROSSSLOT} or {@code TRYAGAIN}
 * reaches a caller; every consumer drains. Deliveries are recorded in a standalone Redis apart from the
 * cluster, as in {@link SentinelFailoverIT}.
 */
@ExtendWith({RedisTopologyExtension.class, RedisServerExtension.class})
class ClusterFailoverIT {

    private static final int RATE = 200;
    private static final int CYCLES = Scale.of(1, 3);
    private static final Duration VISIBILITY = Duration.ofSeconds(2);
    /** A redirection or a cluster error that Lettuce should have handled, anywhere in a failure's chain. */
    static final Pattern REDIRECTION = Pattern.compile("\\b(MOVED|ASK|CROSSSLOT|TRYAGAIN)\\b");

    @Test
    void withWaitForOneReplicaTheBusFollowsEachFailoverAndLosesNoAcknowledgedSend(
            RedisClusterNodes cluster, LocalRedis recordsServer, RawRedis records) throws Exception {
        Durability durability = Durability.waitFor(1, Duration.ofSeconds(1));
        AgentId first = freshAgent("analyst");
        AgentId second = freshAgent("writer");
        while (cluster.masterOf(tag(second)) != cluster.masterOf(tag(first))) {
            second = freshAgent("writer");
        }
        List<AgentId> agents = List.of(first, second);
        String recordKey = "records:" + first.value();
        BusOptions options = BusOptions.builder()
                .send(SendOptions.builder().durability(durability).build())
                .build();
        List<ConsumerProcess> consumers = new ArrayList<>();
        long longestUnavailableMillis = 0;
        try (AgentBus bus = AgentBus.connect(cluster.uri(), options);
                Traffic traffic = new Traffic(bus, agents, Traffic.OnFailure.RETRY_SAME_ID)) {
            consumers.addAll(FailoverChecks.startConsumers(
                    "cluster-failover", cluster.uri(), agents, recordKey, VISIBILITY, recordsServer.uri()));
            traffic.start(RATE);
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Thread.sleep(3_000);
                long killedNanos = System.nanoTime();
                LocalRedis killed = cluster.killMaster(cluster.masterOf(tag(first)));
                LocalRedis promoted = cluster.awaitFailover(killed, Duration.ofSeconds(30));
                long promotedNanos = System.nanoTime();
                // The promoted replica was the master's only one: until the old master is back as its
                // replica, WAIT 1 cannot be satisfied and every durable send is refused (NotReplicated).
                cluster.restart(killed);
                long rejoinedNanos = System.nanoTime();
                ScenarioResult.note(
                        "cluster-failover",
                        "cycle=" + cycle + " killed=" + killed.port() + " promoted=" + promoted.port()
                                + " failover_ms=" + (promotedNanos - killedNanos) / 1_000_000
                                + " rejoined_as_replica_ms=" + (rejoinedNanos - promotedNanos) / 1_000_000);
                try {
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> traffic.firstAckAfter(rejoinedNanos).isPresent());
                } catch (ConditionTimeoutException e) {
                    traffic.failures().stream()
                            .filter(failure -> failure.atNanos() - rejoinedNanos > 0)
                            .map(Traffic.Failure::why)
                            .distinct()
                            .limit(5)
                            .forEach(why -> ScenarioResult.note("cluster-failover", "after the rejoin: " + why));
                    throw e;
                }
                Thread.sleep(2_000); // traffic on the new master and its new replica
                StringBuilder timeline = new StringBuilder("cycle=" + cycle + " acks_per_500ms_after_kill=");
                for (int i = 0; i < 24; i++) {
                    long at = killedNanos + i * 500_000_000L;
                    timeline.append(i == 0 ? "" : ",").append(traffic.acknowledgedBetween(at, at + 500_000_000L));
                }
                ScenarioResult.note("cluster-failover", timeline.toString());
                Map<String, Long> kinds = new TreeMap<>();
                traffic.failures().stream()
                        .filter(failure -> failure.atNanos() - killedNanos > 0)
                        .forEach(failure -> kinds.merge(
                                failure.why()
                                        .replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "ID")
                                        .substring(
                                                0, Math.min(160, failure.why().length())),
                                1L,
                                Long::sum));
                kinds.forEach((why, count) -> ScenarioResult.note("cluster-failover", count + " x " + why));
                longestUnavailableMillis = Math.max(
                        longestUnavailableMillis,
                        traffic.longestAckGap(killedNanos, System.nanoTime()).toMillis());
            }
            assertThat(traffic.finish(Duration.ofSeconds(60)))
                    .as("every attempted send acknowledged in the end")
                    .isTrue();

            Set<String> ledger = FailoverChecks.ids(traffic.ledger().keySet());
            FailoverChecks.awaitQuietly(
                    Duration.ofSeconds(60),
                    () -> FailoverChecks.recorded(records, recordKey).containsAll(ledger));
            boolean drained = awaitDrained(cluster, agents);
            boolean consumersAlive = consumers.stream().allMatch(ConsumerProcess::isAlive);
            Set<String> handled = FailoverChecks.recorded(records, recordKey);
            long lost = ledger.stream().filter(id -> !handled.contains(id)).count();
            List<Traffic.Failure> redirections = traffic.failures().stream()
                    .filter(failure -> REDIRECTION.matcher(failure.why()).find())
                    .toList();
            redirections.stream()
                    .limit(5)
                    .forEach(failure -> ScenarioResult.note("cluster-failover", "redirection: " + failure.why()));
            ScenarioResult.print(
                    "cluster-failover",
                    "durability",
                    durability,
                    "cycles",
                    CYCLES,
                    "rate",
                    RATE,
                    "acknowledged",
                    ledger.size(),
                    "rejected_sends",
                    traffic.rejected(),
                    "lost",
                    lost,
                    "unavailable_ms",
                    longestUnavailableMillis,
                    "surfaced_redirections",
                    redirections.size(),
                    "recovered",
                    drained && consumersAlive);

            assertThat(lost).isZero();
            assertThat(redirections).isEmpty();
            assertThat(longestUnavailableMillis).isLessThanOrEqualTo(10_000);
            assertThat(drained).as("every consumer drained its inbox").isTrue();
            assertThat(consumersAlive).as("no consumer process died").isTrue();
        } finally {
            for (ConsumerProcess consumer : consumers) {
                consumer.close();
            }
        }
    }

    /** A key in the agent's slot: every key of an agent carries its id as the hash tag. */
    static String tag(AgentId agent) {
        return "{" + agent.value() + "}";
    }

    /** Whether, on the masters that serve the agents now, nothing is pending in any band within 30 s. */
    static boolean awaitDrained(RedisClusterNodes cluster, List<AgentId> agents) {
        RedisClusterClient client = RedisClusterClient.create(cluster.seedUris());
        try (StatefulRedisClusterConnection<String, String> masters = client.connect()) {
            return FailoverChecks.awaitDrained(masters.sync(), agents);
        } finally {
            client.shutdown();
        }
    }
}
