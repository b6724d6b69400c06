package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Redis does not roll back a script that fails half-way, so every script that settles or moves a message
 * checks the types of the keys it writes (and the sizes of what it passes on) before its first write. Each
 * test here makes one such script fail on purpose (a key of the agent turned into a string, an entry too
 * wide for one command's arguments) and checks that nothing was acknowledged, moved or removed that is not
 * stored elsewhere: the message stays pending, delayed or dead-lettered, and once the fault is repaired it
 * goes where it should, once.
 */
@ExtendWith(RedisServerExtension.class)
class ScriptFaultsIT {

    private static final Duration VISIBILITY = Duration.ofMillis(500);
    private static final BusOptions QUICK_RECLAIM = BusOptions.builder()
            .delivery(DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
            .build();
    private static final Set<String> SCRIPTS = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger INJECTED = new AtomicInteger();
    private static final AtomicInteger ACKNOWLEDGED_NOT_STORED = new AtomicInteger();

    @AfterAll
    static void report() {
        ScenarioResult.print(
                "script-faults",
                "scripts",
                SCRIPTS.size(),
                "injected",
                INJECTED.get(),
                "acknowledged_not_stored",
                ACKNOWLEDGED_NOT_STORED.get());
        assertThat(ACKNOWLEDGED_NOT_STORED.get()).isZero();
    }

    @Test
    void aDeadLetterThatCannotBeStoredLeavesTheEntryPendingUntilItCan(LocalRedis redis, RawRedis raw) throws Exception {
        Map<String, Function<AgentId, String>> written = Map.of(
                "dlq",
                KeySchema::deadLetters,
                "failures",
                agent -> KeySchema.failures(agent, 5),
                "audit",
                agent -> KeySchema.auditMessages(agent.value()),
                "counters",
                KeySchema::counters);
        for (Map.Entry<String, Function<AgentId, String>> fault : written.entrySet()) {
            AgentId agent = freshAgent("faulty-dead-letter-" + fault.getKey());

            faultWhileHeld(
                    redis, raw, "dead_letter.lua", agent, fault.getValue().apply(agent), true);

            assertThat(deadLetters(raw, agent)).isEqualTo(1);
        }
    }

    @Test
    void anAckThatCannotBeCountedOrAuditedLeavesTheEntryPendingUntilItCan(LocalRedis redis, RawRedis raw)
            throws Exception {
        Map<String, Function<AgentId, String>> written =
                Map.of("audit", agent -> KeySchema.auditMessages(agent.value()), "counters", KeySchema::counters);
        for (Map.Entry<String, Function<AgentId, String>> fault : written.entrySet()) {
            AgentId agent = freshAgent("faulty-ack-" + fault.getKey());

            faultWhileHeld(redis, raw, "ack.lua", agent, fault.getValue().apply(agent), false);

            assertThat(raw.commands().hget(KeySchema.counters(agent), "acked")).isEqualTo("1");
            assertThat(deadLetters(raw, agent)).isZero();
        }
    }

    @Test
    void aDelayedMessageThatCannotBeMovedStaysDelayedUntilItCan(LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("faulty-move");
        Queue<String> handled = new ConcurrentLinkedQueue<>();
        String counters = KeySchema.counters(agent);
        String inbox = KeySchema.inbox(agent, 5);
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            bus.subscribe(
                    agent,
                    delivery -> handled.add(delivery.envelope().messageId().value()));
            // A member that is not a message goes to dead letters and is counted: with the counters broken
            // it must stay where it is, not be dead-lettered again every second.
            raw.commands().set(counters, "not a hash");
            raw.commands().zadd(KeySchema.delayed(agent), 0, "not json");
            // A message due into an inbox that is not a stream stays delayed.
            raw.commands().del(inbox);
            raw.commands().set(inbox, "not a stream");
            raw.commands().zadd(KeySchema.delayed(agent), 0, delayedMessage(agent, "due-1"));
            INJECTED.addAndGet(2);
            SCRIPTS.add("move_due.lua");

            await().during(Duration.ofMillis(1_500))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> raw.commands().zcard(KeySchema.delayed(agent)) == 2 && deadLetters(raw, agent) == 0);
            raw.commands().del(counters, inbox);

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> raw.commands().zcard(KeySchema.delayed(agent)) == 0
                            && deadLetters(raw, agent) == 1
                            && handled.contains("due-1"));
        }
        assertThat(handled).containsExactly("due-1");
    }

    @Test
    void aRedriveThatCannotBeAuditedMovesNothingUntilItCan(LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("faulty-redrive");
        String audit = KeySchema.auditMessages(agent.value());
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            bus.subscribe(agent, delivery -> {
                throw new NonRetryableException("poison");
            });
            bus.sync().send(poison(agent));
            await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters(raw, agent) == 1);
            DeadLetters deadLetters = bus.deadLetters(agent);
            List<String> ids = deadLetters.list(10).stream().map(DeadLetter::id).toList();
            long inboxBefore = raw.commands().xlen(KeySchema.inbox(agent, 5));
            raw.commands().del(audit);
            raw.commands().set(audit, "not a stream");
            INJECTED.incrementAndGet();
            SCRIPTS.add("redrive.lua");

            assertThatThrownBy(() -> deadLetters.redrive(ids)).hasMessageContaining("WRONGTYPE");
            if (deadLetters(raw, agent) != 1 || raw.commands().xlen(KeySchema.inbox(agent, 5)) != inboxBefore) {
                ACKNOWLEDGED_NOT_STORED.incrementAndGet();
            }
            raw.commands().del(audit);

            assertThat(deadLetters.redrive(ids)).isEqualTo(1);
            assertThat(raw.commands().xlen(KeySchema.inbox(agent, 5))).isEqualTo(inboxBefore + 1);
        }
    }

    @Test
    void anEntryTooWideForOneCommandIsDeadLetteredWholeWithItsOverflowAsJson(LocalRedis redis, RawRedis raw)
            throws Exception {
        AgentId agent = freshAgent("wide");
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.MESSAGE_ID, "wide-1");
        fields.put(WireFields.FROM_AGENT, "attacker");
        fields.put(WireFields.TO_AGENT, agent.value());
        fields.put(WireFields.MESSAGE_TYPE, "task");
        fields.put(WireFields.PAYLOAD, "{}");
        fields.put(WireFields.TIMESTAMP, Instant.now().toString());
        fields.put(WireFields.PRIORITY, "5");
        for (int i = fields.size(); i < 4_000; i++) {
            fields.put("x_wide_" + i, "v" + i);
        }
        INJECTED.incrementAndGet();
        SCRIPTS.add("dead_letter.lua");
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
        List<Object> overflow =
                List.of(new ObjectMapper().readValue(body.get(WireFields.DLQ_OVERFLOW), Object[].class));
        long kept =
                body.keySet().stream().filter(name -> !name.startsWith("dlq_")).count();
        if (pending(raw, agent) != 0 || kept + overflow.size() / 2 != fields.size()) {
            ACKNOWLEDGED_NOT_STORED.incrementAndGet();
        }
        assertThat(body).doesNotContainKey("x_wide_3999");
        assertThat(overflow).contains("x_wide_3999");
        assertThat(kept + overflow.size() / 2).isEqualTo(fields.size());
    }

    /**
     * Sends one message, turns {@code hostileKey} into a string while the handler holds it, lets the
     * handler end ({@code poison}: with a non-retryable failure, else normally), and checks that the
     * settle step ({@code script}) failed without acknowledging: the entry is delivered a second time.
     * Then repairs the key and waits until the entry is settled.
     */
    private static void faultWhileHeld(
            LocalRedis redis, RawRedis raw, String script, AgentId agent, String hostileKey, boolean poison)
            throws Exception {
        SCRIPTS.add(script);
        INJECTED.incrementAndGet();
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            CountDownLatch faultInjected = new CountDownLatch(1);
            AtomicInteger deliveries = new AtomicInteger();
            bus.subscribe(agent, delivery -> {
                faultInjected.await(10, TimeUnit.SECONDS);
                deliveries.incrementAndGet();
                if (poison) {
                    throw new NonRetryableException("poison");
                }
            });
            bus.sync().send(poison(agent));

            // The send wrote these keys too: the fault comes while the handler holds the message.
            raw.commands().del(hostileKey);
            raw.commands().set(hostileKey, "not what it should be");
            faultInjected.countDown();

            // A second delivery means the first settle step failed and left the entry to reclaim.
            await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.get() >= 2);
            if (pending(raw, agent) != 1 || deadLetters(raw, agent) != 0) {
                ACKNOWLEDGED_NOT_STORED.incrementAndGet();
            }
            assertThat(raw.commands().get(hostileKey)).isEqualTo("not what it should be");

            raw.commands().del(hostileKey);

            await().atMost(Duration.ofSeconds(10)).until(() -> pending(raw, agent) == 0);
        }
    }

    private static Envelope poison(AgentId agent) {
        return Envelope.builder()
                .from("attacker")
                .to(agent)
                .type("task")
                .payload("{}")
                .build();
    }

    private static String delayedMessage(AgentId agent, String messageId) {
        return "{\"message_id\":\"" + messageId + "\",\"from_agent\":\"cmo\",\"to_agent\":\"" + agent.value()
                + "\",\"message_type\":\"task\",\"payload\":\"{}\",\"timestamp\":\"" + Instant.now()
                + "\",\"priority\":\"5\"}";
    }

    private static long pending(RawRedis raw, AgentId agent) {
        return raw.commands()
                .xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                .getCount();
    }

    /** The agent's dead letters, 0 while its dead-letters key is not a stream. */
    static long deadLetters(RawRedis raw, AgentId agent) {
        String key = KeySchema.deadLetters(agent);
        return raw.commands().type(key).equals("stream") ? raw.commands().xlen(key) : 0;
    }
}
