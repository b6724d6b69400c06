package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.Retention;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Redis memory stays bounded however many messages an inbox has carried. */
@ExtendWith(RedisServerExtension.class)
class RetentionIT {

    @Test
    void anInboxKeepsOnlyItsTailOfHandledMessages(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("busy");
        int messages = Scale.of(20_000, 100_000);
        Retention tail = Retention.maxLength(1_000);
        // Trims run every 1,000 acks (docs/PROTOCOL.md), so between two trims up to that many more
        // handled entries wait.
        long bound = tail.maxLength() + 1_000;
        LongAdder handled = new LongAdder();
        try (AgentBus bus = AgentBus.connect(
                redis.uri(),
                BusOptions.builder()
                        .consumer(ConsumerOptions.builder().inboxRetention(tail).build())
                        .build())) {
            bus.subscribe(agent, delivery -> handled.increment());
            Semaphore inFlight = new Semaphore(1_000);
            for (int i = 0; i < messages; i++) {
                inFlight.acquire();
                bus.send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("task")
                                .payload(Map.of("n", i))
                                .build())
                        .whenComplete((receipt, failure) -> inFlight.release());
            }
            inFlight.acquire(1_000);
            await().atMost(Duration.ofSeconds(60))
                    .until(() ->
                            handled.sum() == messages && bus.sync().inbox(agent).pending() == 0);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(agent).length() <= bound);
            long lengthAfter = bus.sync().inbox(agent).length();

            ScenarioResult.print(
                    "retention", "acked", handled.sum(), "inbox_len_after", lengthAfter, "retention_bound", bound);
            assertThat(lengthAfter).isLessThanOrEqualTo(bound);
        }
    }
}
