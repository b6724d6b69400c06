package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Durability;
import io.agentbus.MessageId;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisSentinelGroup;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.agentbus.testkit.RedisTopologyExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bus behind Sentinel follows each promotion: 200 msg/s to two agents, each run by two instances in two
 * processes (four consumers), while the master is killed ({@code kill -9}) and the old master comes back as
 * a replica. With {@code durability wait:1} an acknowledged send is on a replica when the master dies, and the
 * sentinels promote the replica that has the most, so nothing acknowledged is lost; no send fails with
 * {@code READONLY} once the promotion is announced; every consumer drains. Deliveries are recorded in a
 * Redis apart from the group, so that a record is not lost with the master it was written to.
 */
@ExtendWith({RedisTopologyExtension.class, RedisServerExtension.class})
class SentinelFailoverIT {

    private static final int RATE = 200;
    private static final int CYCLES = Scale.of(1, 3);
    private static final Duration VISIBILITY = Duration.ofSeconds(2);

    @Test
    void withWaitForOneReplicaTheBusFollowsEachPromotionAndLosesNoAcknowledgedSend(
            RedisSentinelGroup group, LocalRedis recordsServer, RawRedis records) throws Exception {
        Outcome outcome = failOver(group, recordsServer, records, Durability.waitFor(1, Duration.ofSeconds(1)));

        assertThat(outcome.lost()).isZero();
        assertThat(outcome.readonlyAfterPromotion()).isZero();
        assertThat(outcome.unavailableMillis()).isLessThanOrEqualTo(10_000);
        assertThat(outcome.drained()).as("every consumer drained its inbox").isTrue();
        assertThat(outcome.consumersAlive()).as("no consumer process died").isTrue();
    }

    /** Without WAIT a send acknowledged by the master alone can die with it: the loss is reported, not asserted. */
    @Test
    void withoutWaitTheLossIsMeasured(RedisSentinelGroup group, LocalRedis recordsServer, RawRedis records)
            throws Exception {
        Outcome outcome = failOver(group, recordsServer, records, Durability.MEMORY);

        assertThat(outcome.readonlyAfterPromotion()).isZero();
        assertThat(outcome.drained()).as("every consumer drained its inbox").isTrue();
    }

    private record Outcome(
            long lost, long unavailableMillis, long readonlyAfterPromotion, boolean drained, boolean consumersAlive) {}

    private static Outcome failOver(
            RedisSentinelGroup group, LocalRedis recordsServer, RawRedis records, Durability durability)
            throws Exception {
        List<AgentId> agents = List.of(freshAgent("analyst"), freshAgent("writer"));
        String recordKey = "records:" + agents.get(0).value();
        BusOptions options = BusOptions.builder()
                .send(SendOptions.builder().durability(durability).build())
                .build();
        List<ConsumerProcess> consumers = new ArrayList<>();
        long longestUnavailableMillis = 0;
        long readonlyAfterPromotion = 0;
        try (AgentBus bus = AgentBus.connect(group.uri(), options);
                Traffic traffic = new Traffic(bus, agents, Traffic.OnFailure.RETRY_SAME_ID)) {
            consumers.addAll(FailoverChecks.startConsumers(
                    "sentinel-failover", group.uri(), agents, recordKey, VISIBILITY, recordsServer.uri()));
            traffic.start(RATE);
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Thread.sleep(3_000);
                long killedNanos = System.nanoTime();
                LocalRedis killed = group.killMaster();
                group.awaitPromotion(Duration.ofSeconds(30));
                long promotedNanos = System.nanoTime();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> traffic.firstAckAfter(promotedNanos).isPresent());
                Thread.sleep(2_000); // traffic on the new master before the old one comes back
                longestUnavailableMillis = Math.max(
                        longestUnavailableMillis,
                        traffic.longestAckGap(killedNanos, System.nanoTime()).toMillis());
                readonlyAfterPromotion += traffic.failures().stream()
                        .filter(failure -> failure.atNanos() - promotedNanos > 0
                                && failure.why().contains("READONLY"))
                        .count();
                group.restart(killed);
                group.awaitReplicasInSync(Duration.ofSeconds(30));
            }
            assertThat(traffic.finish(Duration.ofSeconds(60)))
                    .as("every attempted send acknowledged in the end")
                    .isTrue();

            Set<MessageId> ledger = traffic.ledger().keySet();
            // Without WAIT some acknowledged sends may be gone with the master: wait for all, measure what came.
            FailoverChecks.awaitQuietly(
                    Duration.ofSeconds(60),
                    () -> FailoverChecks.recorded(records, recordKey).containsAll(FailoverChecks.ids(ledger)));
            boolean drained = awaitDrained(group, agents);
            boolean consumersAlive = consumers.stream().allMatch(ConsumerProcess::isAlive);

            Set<String> handled = FailoverChecks.recorded(records, recordKey);
            long lost = FailoverChecks.ids(ledger).stream()
                    .filter(id -> !handled.contains(id))
                    .count();
            ScenarioResult.print(
                    "sentinel-failover",
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
                    "readonly_errors_after_promotion",
                    readonlyAfterPromotion,
                    "recovered",
                    drained && consumersAlive);
            return new Outcome(lost, longestUnavailableMillis, readonlyAfterPromotion, drained, consumersAlive);
        } finally {
            for (ConsumerProcess consumer : consumers) {
                consumer.close();
            }
        }
    }

    /** Whether, on the current master (asked of the sentinels), nothing is pending in any band within 30 s. */
    private static boolean awaitDrained(RedisSentinelGroup group, List<AgentId> agents) {
        RedisClient client = RedisClient.create(group.uri());
        try (StatefulRedisConnection<String, String> master = client.connect()) {
            return FailoverChecks.awaitDrained(master.sync(), agents);
        } finally {
            client.shutdown();
        }
    }
}
