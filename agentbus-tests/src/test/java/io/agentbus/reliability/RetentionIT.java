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
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * A trim by length behind a pending entry removes every handled entry before it, however many: whole
     * stream nodes first (read by nobody), then the rest of the excess exactly, and never the pending
     * entry or one after it.
     */
    @Test
    void aTrimBehindAPendingEntryRemovesExactlyWhatLiesBeforeIt(RawRedis raw) {
        String stream = "agent:{" + freshAgent("behind").value() + "}:inbox";
        raw.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(stream, "0"), "agentbus", XGroupCreateArgs.Builder.mkstream());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            ids.add(raw.commands().xadd(stream, Map.of("n", Integer.toString(i), "body", "x".repeat(300))));
        }
        // Entries 0 to 3,999 handled; 4,000 pending; the rest not delivered yet.
        raw.commands().xgroupSetid(XReadArgs.StreamOffset.from(stream, ids.get(3_999)), "agentbus");
        raw.commands()
                .xreadgroup(
                        Consumer.from("agentbus", "holder"),
                        XReadArgs.Builder.count(1),
                        XReadArgs.StreamOffset.lastConsumed(stream));

        Long removed = RawScripts.run(raw, "trim.lua", ScriptOutputType.INTEGER, new String[] {stream}, "100", "0");

        assertThat(removed).isEqualTo(4_000);
        assertThat(raw.commands().xlen(stream)).isEqualTo(1_000);
        assertThat(raw.commands().xrange(stream, Range.create("-", "+"), Limit.from(1)))
                .singleElement()
                .satisfies(first -> assertThat(first.getId()).isEqualTo(ids.get(4_000)));
    }
}
