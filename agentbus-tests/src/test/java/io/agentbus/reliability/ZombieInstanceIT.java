package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Leases are the truth: an instance stopped (SIGSTOP) past the visibility timeout, whose messages another
 * instance reclaimed and handled meanwhile, does not handle them again from its in-memory queue once it
 * is resumed, and an entry acknowledged by both is counted and audited once.
 */
@ExtendWith(RedisServerExtension.class)
class ZombieInstanceIT {

    private static final int MESSAGES = 10;
    private static final long VISIBILITY_MS = 1_000;

    @Test
    void aResumedInstanceDoesNotHandleWhatItNoLongerHolds(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId agent = freshAgent("zombie");
        String records = "records:" + agent.value();
        Queue<String> handledByTheLive = new ConcurrentLinkedQueue<>();
        BusOptions liveOptions = BusOptions.builder()
                .delivery(DeliveryOptions.builder()
                        .visibilityTimeout(Duration.ofMillis(VISIBILITY_MS))
                        .build())
                .build();

        try (ConsumerProcess zombie = ConsumerProcess.start(
                        Path.of("target", "zombie-instance.log"),
                        redis.uri(),
                        agent.value(),
                        records,
                        Long.toString(VISIBILITY_MS),
                        "20",
                        "5",
                        "300");
                AgentBus bus = AgentBus.connect(redis.uri(), liveOptions)) {
            zombie.awaitReady(Duration.ofSeconds(60));
            for (int i = 0; i < MESSAGES; i++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("task")
                                .payload("{}")
                                .build());
            }
            // The zombie has read them all and is working on the first when it is stopped.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> raw.commands().llen(records) >= 1
                            && raw.commands()
                                            .xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                                            .getCount()
                                    == MESSAGES);
            zombie.suspend();

            bus.subscribe(
                    agent,
                    delivery ->
                            handledByTheLive.add(delivery.envelope().messageId().value()));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> handledByTheLive.size() >= MESSAGES
                            && raw.commands()
                                            .xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                                            .getCount()
                                    == 0);
            long recordedBeforeResume = raw.commands().llen(records);
            zombie.resume();
            // Long enough for the zombie to work through its whole queue (300 ms a message) if it did.
            Thread.sleep(MESSAGES * 300 + 1_000);

            long handledTwiceAfterResume = raw.commands().llen(records) - recordedBeforeResume;
            List<String> audit =
                    raw.commands().xrange(KeySchema.auditMessages(agent.value()), Range.create("-", "+")).stream()
                            .map(record -> record.getBody().get(WireFields.AUDIT_EVENT))
                            .filter("acked"::equals)
                            .toList();
            long auditAcked = audit.size();
            long countersAcked = Long.parseLong(raw.commands().hget(KeySchema.counters(agent), "acked"));
            ScenarioResult.print(
                    "zombie-instance",
                    "handled_twice_after_resume",
                    handledTwiceAfterResume,
                    "audit_acked",
                    auditAcked,
                    "counters_acked",
                    countersAcked);
            assertThat(handledTwiceAfterResume).isZero();
            assertThat(auditAcked).isEqualTo(countersAcked).isEqualTo(MESSAGES);
        }
    }
}
