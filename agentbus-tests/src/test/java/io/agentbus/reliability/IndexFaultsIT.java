package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The global indexes the listings read ({@code agents:known} for {@code stats} and the dashboard,
 * {@code audit:shards} for the audit trail) are written beside the agent's own keys, on a cluster on
 * another master. A write of an index that fails (here: the index key made the wrong type, as a failover
 * of its master would make it fail) must not hide the agent or its audit records for the life of the
 * process: the next write for that agent lists it, and a decision is refused rather than recorded unlisted.
 */
@ExtendWith(RedisServerExtension.class)
class IndexFaultsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void anAgentWhoseFirstListingFailedIsListedWithALaterSend(LocalRedis redis) {
        AgentId agent = freshAgent("unlisted");
        try (AgentBus bus = AgentBus.connect(redis.uri());
                RawRedis raw = RawRedis.connect(redis)) {
            raw.commands().del(KeySchema.KNOWN_AGENTS, KeySchema.AUDIT_SHARDS);
            raw.commands().set(KeySchema.KNOWN_AGENTS, "not a set");
            raw.commands().set(KeySchema.AUDIT_SHARDS, "not a set");
            bus.sync().send(task(agent, 0));
            raw.commands().del(KeySchema.KNOWN_AGENTS, KeySchema.AUDIT_SHARDS);

            // Sends until the index is written: the first SADD's failure is reported asynchronously.
            await().atMost(WAIT).until(() -> {
                bus.sync().send(task(agent, 1));
                return bus.registry().known().contains(agent)
                        && bus.audit().tail(AuditQuery.all(), 100).stream()
                                .map(AuditEntry::shard)
                                .anyMatch(agent.value()::equals);
            });
        }
    }

    @Test
    void aDecisionThatCannotBeListedIsRefusedAndNotWritten(LocalRedis redis) {
        AgentId agent = freshAgent("decider");
        try (AgentBus bus = AgentBus.connect(redis.uri());
                RawRedis raw = RawRedis.connect(redis)) {
            raw.commands().del(KeySchema.AUDIT_SHARDS);
            raw.commands().set(KeySchema.AUDIT_SHARDS, "not a set");

            assertThatThrownBy(() -> bus.audit()
                            .decision(agent, "approve", Map.of())
                            .toCompletableFuture()
                            .join())
                    .isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(AgentBusException.class);
            assertThat(raw.commands().exists(KeySchema.auditDecisions(agent.value())))
                    .isZero();

            raw.commands().del(KeySchema.AUDIT_SHARDS);
            bus.audit()
                    .decision(agent, "approve", Map.of())
                    .toCompletableFuture()
                    .join();
            assertThat(bus.audit().tail(AuditQuery.all(), 10))
                    .extracting(AuditEntry::shard)
                    .containsExactly(agent.value());
        }
    }

    private static Envelope task(AgentId to, int n) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload(Map.of("n", n))
                .build();
    }
}
