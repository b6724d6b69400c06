package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What makes {@code dead_letter.lua} fail (a key of the agent holding the wrong type, an entry too wide
 * to pass as one command's arguments) never acknowledges a message that is not stored in the dead
 * letters: the script checks and stores before it acknowledges, so a failure leaves the entry pending,
 * and once the fault is gone it is dead-lettered like any other.
 */
@ExtendWith(RedisServerExtension.class)
class ScriptFaultsIT {

    private static final Duration VISIBILITY = Duration.ofMillis(500);
    private static final BusOptions QUICK_RECLAIM = BusOptions.builder()
            .delivery(DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
            .build();
    /** The keys of one agent that dead_letter.lua writes besides the inbox. */
    private static final Map<String, Function<AgentId, String>> KEYS_WRITTEN = Map.of(
            "dlq",
            KeySchema::deadLetters,
            "failures",
            agent -> KeySchema.failures(agent, 5),
            "audit",
            agent -> KeySchema.auditMessages(agent.value()),
            "counters",
            KeySchema::counters);

    @Test
    void aDeadLetterThatCannotBeStoredLeavesTheEntryPendingUntilItCan(LocalRedis redis, RawRedis raw) throws Exception {
        int acknowledgedNotStored = 0;
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            for (Map.Entry<String, Function<AgentId, String>> fault : KEYS_WRITTEN.entrySet()) {
                AgentId agent = freshAgent("faulty-" + fault.getKey());
                String hostileKey = fault.getValue().apply(agent);
                CountDownLatch faultInjected = new CountDownLatch(1);
                AtomicInteger deliveries = new AtomicInteger();
                bus.subscribe(agent, delivery -> {
                    faultInjected.await(10, TimeUnit.SECONDS);
                    deliveries.incrementAndGet();
                    throw new NonRetryableException("poison");
                });
                bus.sync().send(poison(agent));

                // The send wrote these keys too: the fault comes while the handler holds the message.
                raw.commands().set(hostileKey, "not a " + fault.getKey());
                faultInjected.countDown();

                // A second delivery means the first dead-lettering failed and left the entry to reclaim.
                await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.get() >= 2);
                if (pending(raw, agent) != 1 || deadLetters(raw, agent) != 0) {
                    acknowledgedNotStored++;
                }
                assertThat(raw.commands().get(hostileKey)).isEqualTo("not a " + fault.getKey());

                raw.commands().del(hostileKey);

                await().atMost(Duration.ofSeconds(10))
                        .until(() -> pending(raw, agent) == 0 && deadLetters(raw, agent) == 1);
            }
        }

        ScenarioResult.print(
                "script-faults",
                "scripts",
                1,
                "injected",
                KEYS_WRITTEN.size() + 1,
                "acknowledged_not_stored",
                acknowledgedNotStored + wideEntryLost(redis, raw));
        assertThat(acknowledgedNotStored).isZero();
    }

    @Test
    void anEntryTooWideForOneCommandIsDeadLetteredWholeWithItsOverflowAsJson(LocalRedis redis, RawRedis raw)
            throws Exception {
        assertThat(wideEntryLost(redis, raw)).isZero();
    }

    /**
     * Writes a poison entry of 4,000 fields straight into an inbox (past what one command can take as
     * arguments from Lua) and returns 1 if it left the inbox without reaching the dead letters whole.
     */
    private static int wideEntryLost(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId agent = freshAgent("wide");
        Map<String, String> fields = new LinkedHashMap<>();
        Envelope envelope = poison(agent);
        fields.put(WireFields.MESSAGE_ID, envelope.messageId().value());
        fields.put(WireFields.FROM_AGENT, "attacker");
        fields.put(WireFields.TO_AGENT, agent.value());
        fields.put(WireFields.MESSAGE_TYPE, "task");
        fields.put(WireFields.PAYLOAD, "{}");
        fields.put(WireFields.TIMESTAMP, Instant.now().toString());
        fields.put(WireFields.PRIORITY, "5");
        for (int i = fields.size(); i < 4_000; i++) {
            fields.put("x_wide_" + i, "v" + i);
        }
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            bus.subscribe(agent, delivery -> {
                throw new NonRetryableException("poison");
            });
            raw.commands().xadd(KeySchema.inbox(agent, 5), fields);

            await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters(raw, agent) == 1);
        }

        List<StreamMessage<String, String>> stored =
                raw.commands().xrange(KeySchema.deadLetters(agent), Range.create("-", "+"));
        Map<String, String> body = stored.get(0).getBody();
        List<?> overflow = new ObjectMapper().readValue(body.get("dlq_overflow"), List.class);
        long kept =
                body.keySet().stream().filter(name -> !name.startsWith("dlq_")).count();
        boolean whole = kept + overflow.size() / 2 == fields.size()
                && body.get("x_wide_3999") == null
                && overflow.contains("x_wide_3999");
        return pending(raw, agent) == 0 && whole ? 0 : 1;
    }

    private static Envelope poison(AgentId agent) {
        return Envelope.builder()
                .from("attacker")
                .to(agent)
                .type("task")
                .payload("{}")
                .build();
    }

    private static long pending(RawRedis raw, AgentId agent) {
        RedisCommands<String, String> commands = raw.commands();
        return commands.xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                .getCount();
    }

    private static long deadLetters(RawRedis raw, AgentId agent) {
        String key = KeySchema.deadLetters(agent);
        return raw.commands().type(key).equals("stream") ? raw.commands().xlen(key) : 0;
    }
}
