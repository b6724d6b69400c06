package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.SendReceipt;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Redis does not roll back a script that fails half-way, so every script checks the types of the keys it
 * writes, its arguments and the sizes of what it passes on before its first write, and writes the message
 * before what records it (dedup marker, counters, audit). Each test here makes scripts fail on purpose (a key
 * of the agent turned into another type, an argument out of range, an entry too wide for one command's
 * arguments) and checks that nothing was acknowledged, moved, removed or recorded that is not stored: the
 * message stays pending, delayed or dead-lettered, a failed send is neither marked nor counted, and once the
 * fault is repaired it goes where it should, once. The bus runs the settle steps through its public API;
 * hostile arguments, which the bus never passes, are given by running the scripts on a raw connection, as
 * an agent in another language would.
 */
@ExtendWith(RedisServerExtension.class)
class ScriptFaultsIT {

    private static final Duration VISIBILITY = Duration.ofMillis(500);
    private static final BusOptions QUICK_RECLAIM = BusOptions.builder()
            .delivery(DeliveryOptions.builder()
                    .visibilityTimeout(VISIBILITY)
                    .maxAttempts(50)
                    .build())
            .build();
    private static final String SPOILED = "not what it should be";
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
                    redis, raw, "dead_letter.lua", agent, fault.getValue().apply(agent), Settle.DEAD_LETTER);

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

            faultWhileHeld(redis, raw, "ack.lua", agent, fault.getValue().apply(agent), Settle.ACK);

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
    void aSendThatCannotBeStoredOrRecordedIsNeitherMarkedNorCountedAndStoresOnceWhenRetried(
            LocalRedis redis, RawRedis raw) {
        // What send.lua writes, with the type each must hold.
        Map<String, Function<Envelope, String>> written = Map.of(
                "stream", message -> KeySchema.inbox(message.toAgent(), 5),
                "string", message -> KeySchema.dedup(message.toAgent(), message.messageId()),
                "hash", message -> KeySchema.counters(message.toAgent()),
                "audit", message -> KeySchema.auditMessages(message.toAgent().value()));
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            for (Map.Entry<String, Function<Envelope, String>> fault : written.entrySet()) {
                AgentId agent = freshAgent("faulty-send");
                Envelope message = poison(agent);
                String inbox = KeySchema.inbox(agent, 5);
                String key = fault.getValue().apply(message);
                spoil(raw, key, fault.getKey().equals("audit") ? "stream" : fault.getKey());
                SCRIPTS.add("send.lua"); // what the bus runs for a lone message
                SCRIPTS.add("store_messages.lua");
                INJECTED.incrementAndGet();

                assertThatThrownBy(() -> bus.sync().send(message))
                        .isInstanceOf(AgentBusException.class)
                        .hasMessageContaining("send " + message.messageId())
                        .hasMessageContaining("WRONGTYPE " + key);
                if (recordedButAbsent(raw, agent, message, stored(raw, inbox))) {
                    ACKNOWLEDGED_NOT_STORED.incrementAndGet();
                }
                assertThat(stored(raw, inbox)).isZero();
                raw.commands().del(key);

                assertThat(bus.sync().send(message).duplicate()).isFalse();
                assertThat(bus.sync().send(message).duplicate()).isTrue();
                assertThat(stored(raw, inbox)).isEqualTo(1);
            }
        }
    }

    @Test
    void oneAgentsSpoiledKeyFailsOnlyItsOwnSendsInABatchThatCarriesOtherAgentsMessages(LocalRedis redis, RawRedis raw) {
        AgentId spoiled = freshAgent("batch-spoiled");
        AgentId healthy = freshAgent("batch-healthy");
        spoil(raw, KeySchema.counters(spoiled), "hash");
        INJECTED.incrementAndGet();
        SCRIPTS.add("send_batch.lua");
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            // Sent at once: all but the first queue behind the call in flight and go as batches that mix the two.
            List<Envelope> refused = new ArrayList<>();
            List<CompletableFuture<SendReceipt>> toSpoiled = new ArrayList<>();
            List<CompletableFuture<SendReceipt>> toHealthy = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                refused.add(poison(spoiled));
                toSpoiled.add(bus.send(refused.get(i)).toCompletableFuture());
                toHealthy.add(bus.send(poison(healthy)).toCompletableFuture());
            }

            for (CompletableFuture<SendReceipt> send : toHealthy) {
                assertThat(send.join().duplicate()).isFalse();
            }
            for (CompletableFuture<SendReceipt> send : toSpoiled) {
                assertThatThrownBy(send::join)
                        .hasCauseInstanceOf(AgentBusException.class)
                        .hasMessageContaining("WRONGTYPE " + KeySchema.counters(spoiled));
            }
            for (Envelope message : refused) {
                assertThat(raw.commands().exists(KeySchema.dedup(spoiled, message.messageId())))
                        .as("no dedup marker of a message that was not stored")
                        .isZero();
            }
        }
        assertThat(stored(raw, KeySchema.inbox(healthy, 5))).isEqualTo(200);
        assertThat(raw.commands().hget(KeySchema.counters(healthy), "sent")).isEqualTo("200");
        assertThat(stored(raw, KeySchema.inbox(spoiled, 5))).isZero();
    }

    @Test
    void aBatchCallThatDoesNotAddUpIsRefusedWhole(RawRedis raw) {
        AgentId agent = freshAgent("hostile-batch");
        String inbox = KeySchema.inbox(agent, 5);
        String[] keys = {
            inbox,
            KeySchema.dedup(agent, MessageId.of("b-1")),
            KeySchema.auditMessages(agent.value()),
            KeySchema.counters(agent)
        };
        BooleanSupplier nothingStored = () -> stored(raw, inbox) == 0;
        // One destination (stream, audit shard, counters by KEYS index; no senders index, group, cap or swarm).
        String[] destination = {"1", "3", "4", "0", "", "0", "", ""};
        String[] message = {"1", "2", "", "1", "message_id", "b-1"};
        String[] oneMessage = concat(new String[] {"60000", "100", "1"}, destination, new String[] {"1"}, message);

        String[] noWindow = oneMessage.clone();
        noWindow[0] = "0";
        refused(raw, "send_batch.lua", nothingStored, keys, noWindow, "dedup window");
        String[] twoCounted = oneMessage.clone();
        twoCounted[11] = "2";
        refused(raw, "send_batch.lua", nothingStored, keys, twoCounted, "message 2 has no header");
        refused(
                raw,
                "send_batch.lua",
                nothingStored,
                keys,
                concat(oneMessage, new String[] {"extra"}),
                "1 values follow");
        String[] badKey = oneMessage.clone();
        badKey[5] = "9";
        refused(raw, "send_batch.lua", nothingStored, keys, badKey, "counters key index 9");
        String[] badDestination = oneMessage.clone();
        badDestination[12] = "2";
        refused(raw, "send_batch.lua", nothingStored, keys, badDestination, "destination 2");
        String[] tooMany = oneMessage.clone();
        tooMany[15] = "2";
        refused(raw, "send_batch.lua", nothingStored, keys, tooMany, "field/value pairs");
        String[] delayedToo =
                concat(new String[] {"60000", "100", "1"}, destination, new String[] {"2"}, message, new String[] {
                    "1", "2", "1700000000000", "1", "message_id", "b-2"
                });
        refused(raw, "send_batch.lua", nothingStored, keys, delayedToo, "all delayed or none");

        List<Object> reply = RawScripts.run(
                raw,
                "send_batch.lua",
                ScriptOutputType.MULTI,
                keys,
                concat(new String[] {"60000", "100", "1"}, destination, new String[] {"2"}, message, message));
        assertThat(reply)
                .as("the second copy of b-1 in one batch is a duplicate of the first")
                .containsExactly(1L, reply.get(1), 0L, reply.get(1));
        assertThat(stored(raw, inbox)).isEqualTo(1);
    }

    private static String[] concat(String[]... parts) {
        return Arrays.stream(parts).flatMap(Arrays::stream).toArray(String[]::new);
    }

    @Test
    void aScheduleThatCannotBeStoredOrRecordedIsNeitherMarkedNorCountedAndStoresOnceWhenRetried(
            LocalRedis redis, RawRedis raw) {
        Map<String, Function<Envelope, String>> written = Map.of(
                "zset", message -> KeySchema.delayed(message.toAgent()),
                "string", message -> KeySchema.dedup(message.toAgent(), message.messageId()),
                "hash", message -> KeySchema.counters(message.toAgent()));
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            for (Map.Entry<String, Function<Envelope, String>> fault : written.entrySet()) {
                AgentId agent = freshAgent("faulty-schedule");
                Envelope message = poison(agent);
                String delayed = KeySchema.delayed(agent);
                String key = fault.getValue().apply(message);
                spoil(raw, key, fault.getKey());
                SCRIPTS.add("send_batch.lua"); // what the bus runs for a delayed send: schedule.lua's step
                INJECTED.incrementAndGet();

                assertThatThrownBy(() -> bus.sync().send(message, Duration.ofHours(1)))
                        .isInstanceOf(AgentBusException.class)
                        .hasMessageContaining("schedule " + message.messageId())
                        .hasMessageContaining("WRONGTYPE " + key);
                if (recordedButAbsent(raw, agent, message, stored(raw, delayed))) {
                    ACKNOWLEDGED_NOT_STORED.incrementAndGet();
                }
                assertThat(stored(raw, delayed)).isZero();
                raw.commands().del(key);

                assertThat(bus.sync().send(message, Duration.ofHours(1)).duplicate())
                        .isFalse();
                assertThat(stored(raw, delayed)).isEqualTo(1);
            }
        }
    }

    @Test
    void aRetryThatCannotBeRecordedLeavesTheEntryPendingUntilItCan(LocalRedis redis, RawRedis raw) throws Exception {
        Map<String, Function<AgentId, String>> written = Map.of(
                "failures",
                agent -> KeySchema.failures(agent, 5),
                "audit",
                agent -> KeySchema.auditMessages(agent.value()),
                "counters",
                KeySchema::counters);
        for (Map.Entry<String, Function<AgentId, String>> fault : written.entrySet()) {
            AgentId agent = freshAgent("faulty-retry-" + fault.getKey());
            if (fault.getKey().equals("audit")) {
                SCRIPTS.add("audit_record.lua"); // its audit() writes the record of a retry
            }

            faultWhileHeld(
                    redis, raw, "retry_later.lua", agent, fault.getValue().apply(agent), Settle.RETRY);

            assertThat(deadLetters(raw, agent)).isZero();
        }
    }

    @Test
    void aSwarmStateThatIsNotAHashIsNamedAndLeftAlone(LocalRedis redis, RawRedis raw) {
        String swarm = freshAgent("faulty-swarm").value();
        String state = KeySchema.swarmState(swarm);
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            spoil(raw, state, "hash");
            SCRIPTS.add("swarm_write.lua");
            INJECTED.incrementAndGet();

            assertThatThrownBy(() -> bus.swarms().write(swarm, 0, "{\"step\":1}"))
                    .isInstanceOf(AgentBusException.class)
                    .hasMessageContaining("WRONGTYPE " + state);
            assertThat(raw.commands().get(state)).isEqualTo(SPOILED);
            raw.commands().del(state);

            assertThat(bus.swarms().write(swarm, 0, "{\"step\":1}")).isEqualTo(1);
        }
    }

    @Test
    void sendAndScheduleRefuseArgumentsTheyCouldNotStoreWhole(RawRedis raw) {
        AgentId agent = freshAgent("hostile-send");
        Envelope message = poison(agent);
        String inbox = KeySchema.inbox(agent, 5);
        String delayed = KeySchema.delayed(agent);
        String[] sendKeys = {
            inbox,
            KeySchema.dedup(agent, message.messageId()),
            KeySchema.auditMessages(agent.value()),
            KeySchema.counters(agent)
        };
        BooleanSupplier sendKept = () -> !recordedButAbsent(raw, agent, message, stored(raw, inbox));
        String[] fields = {WireFields.MESSAGE_ID, message.messageId().value(), WireFields.PAYLOAD, "{}"};
        String[] wide = new String[2 * 1_001];
        for (int i = 0; i < wide.length; i += 2) {
            wide[i] = "x_" + i;
            wide[i + 1] = "v";
        }
        // A window of 0 ms: SET PX refuses it, which used to come after the XADD.
        refused(raw, "send.lua", sendKept, sendKeys, sendArgs("0", fields), "send.lua", "dedup window");
        refused(raw, "send.lua", sendKept, sendKeys, sendArgs("60000", wide), "send.lua", "1000 field/value pairs");
        String messages = KeySchema.swarmMessages("research", "build-" + agent.value());
        String senders = KeySchema.swarmSenders("build-" + agent.value());
        String[] swarmKeys = {
            messages,
            KeySchema.streamDedup(messages, MessageId.of("s-1")),
            KeySchema.auditMessages(KeySchema.hashTag(messages)),
            KeySchema.counters(messages),
            senders
        };
        raw.commands().set(senders, SPOILED);
        String[] swarmArgs = {"60000", "", "0", "100", "research", KeySchema.MESSENGER_GROUP, "message_id", "s-1"};
        refused(raw, "send.lua", () -> stored(raw, messages) == 0, swarmKeys, swarmArgs, "WRONGTYPE " + senders);

        String[] scheduleKeys = {delayed, KeySchema.dedup(agent, message.messageId()), KeySchema.counters(agent)};
        BooleanSupplier scheduleKept = () -> !recordedButAbsent(raw, agent, message, stored(raw, delayed));
        refused(
                raw,
                "schedule.lua",
                scheduleKept,
                scheduleKeys,
                new String[] {"0", "1", "{\"message_id\":\"m\"}"},
                "schedule.lua",
                "dedup window");
        refused(
                raw,
                "schedule.lua",
                scheduleKept,
                scheduleKeys,
                new String[] {"60000", "1", "[\"message_id\",\"m\"]"},
                "schedule.lua",
                "JSON object");
    }

    @Test
    void settleStepsRefuseArgumentsTheyCouldNotCompleteAndLeaveTheEntryPending(RawRedis raw) {
        AgentId agent = freshAgent("hostile-settle");
        String inbox = KeySchema.inbox(agent, 5);
        String id = pendingEntry(raw, inbox);
        String group = KeySchema.INBOX_GROUP;
        BooleanSupplier kept = () -> pending(raw, inbox) == 1 || deadLetters(raw, agent) > 0;
        String[] settleKeys = {
            inbox, KeySchema.failures(agent, 5), KeySchema.auditMessages(agent.value()), KeySchema.counters(agent)
        };

        refused(
                raw,
                "retry_later.lua",
                kept,
                settleKeys,
                new String[] {group, "c1", id, "soon", "1", "100", "1", "why"},
                "retry_later.lua",
                "idle time");
        // The audit cap is read by audit() of audit_record.lua, last: after the XACK, it used to fail there.
        SCRIPTS.add("audit_record.lua");
        refused(
                raw,
                "dead_letter.lua",
                kept,
                new String[] {
                    inbox,
                    KeySchema.deadLetters(agent),
                    KeySchema.failures(agent, 5),
                    KeySchema.auditMessages(agent.value()),
                    KeySchema.counters(agent)
                },
                new String[] {group, id, "rejected", "", "no", "c1", "1", "1", "unbounded"},
                "dead_letter.lua",
                "audit cap");
        // An unknown mode used to run as "own", claiming again what c1 holds.
        refused(
                raw,
                "claim.lua",
                kept,
                new String[] {inbox},
                new String[] {group, "c1", "everything", "0-0", "10", "0", "1048576", "1114112"},
                "claim.lua",
                "mode");
        refused(
                raw,
                "claim.lua",
                kept,
                new String[] {inbox},
                new String[] {group, "c2", "idle", "0-0", "0", "0", "1048576", "1114112"},
                "claim.lua",
                "count");
        refused(
                raw,
                "release_consumer.lua",
                () -> kept.getAsBoolean()
                        && raw.commands().xinfoConsumers(inbox, group).size() == 1,
                new String[] {inbox},
                new String[] {group},
                "release_consumer.lua",
                "a group and a consumer");
        refused(
                raw,
                "trim.lua",
                () -> kept.getAsBoolean() && stored(raw, inbox) == 1,
                new String[] {inbox},
                new String[] {"0", "a day"},
                "trim.lua",
                "max age");
    }

    @Test
    void maintenanceStepsNameAKeyOfAnotherTypeAndLeaveItAlone(RawRedis raw) {
        String notAStream = freshName("hostile-inbox");
        raw.commands().hset(notAStream, "spoiled", SPOILED);
        BooleanSupplier untouched =
                () -> raw.commands().hget(notAStream, "spoiled").equals(SPOILED);
        String[] keys = {notAStream};
        String group = KeySchema.INBOX_GROUP;
        String wrongType = "WRONGTYPE " + notAStream;

        refused(
                raw,
                "claim.lua",
                untouched,
                keys,
                new String[] {group, "c1", "idle", "0-0", "10", "0", "1048576", "1114112"},
                wrongType);
        refused(raw, "read.lua", untouched, keys, new String[] {group, "c1", "10", "1048576", "1114112"}, wrongType);
        refused(raw, "trim.lua", untouched, keys, new String[] {"10", "0"}, wrongType);
        refused(raw, "extend_lease.lua", untouched, keys, new String[] {group, "c1", "1-1"}, wrongType);
        refused(raw, "release_consumer.lua", untouched, keys, new String[] {group, "c1"}, wrongType);
        refused(raw, "presence.lua", untouched, keys, new String[] {"a", "1000"}, wrongType);
        // A temporary agent's counters of another type: nothing gets a TTL, nothing is created.
        String counters = freshName("temporary-counters");
        raw.commands().set(counters, SPOILED);
        String inbox = freshName("temporary-inbox");
        raw.commands().xadd(inbox, Map.of("kept", "yes"));
        refused(
                raw,
                "temporary_agent.lua",
                () -> raw.commands().pttl(counters) == -1 && raw.commands().pttl(inbox) == -1,
                new String[] {counters, inbox},
                new String[] {"1000"},
                "WRONGTYPE " + counters);
    }

    /** A TTL that PEXPIRE would refuse, after the counters were created, is refused before them. */
    @Test
    void aTemporaryAgentRefusesATtlBeforeCreatingItsCounters(RawRedis raw) {
        String counters = freshName("temporary-counters");
        String inbox = freshName("temporary-inbox");
        raw.commands().xadd(inbox, Map.of("kept", "yes"));
        BooleanSupplier nothingCreated =
                () -> raw.commands().exists(counters) == 0 && raw.commands().pttl(inbox) == -1;

        refused(
                raw,
                "temporary_agent.lua",
                nothingCreated,
                new String[] {counters, inbox},
                new String[] {"1.5"},
                "TTL",
                "nothing was written");
        refused(raw, "temporary_agent.lua", nothingCreated, new String[] {counters, inbox}, new String[] {"-1"}, "TTL");
    }

    @Test
    void presenceAndSwarmStateRefuseArgumentsThatWouldLoseWhatTheyHold(RawRedis raw) {
        String live = freshName("live");
        raw.commands().zadd(live, 1, "left-long-ago");
        // A TTL that is no number used to fail after the sweep removed the expired agents: their leaves
        // were never announced.
        refused(
                raw,
                "presence.lua",
                () -> raw.commands().zscore(live, "left-long-ago") != null,
                new String[] {live},
                new String[] {"a", "soon"},
                "presence.lua",
                "presence TTL");

        String state = KeySchema.swarmState(freshAgent("hostile-swarm").value());
        raw.commands().hset(state, Map.of("json", "{\"step\":1}", "version", "1"));
        raw.commands().expire(state, 3_600);
        // A TTL of 0 used to write the state and then delete it with EXPIRE 0.
        refused(
                raw,
                "swarm_write.lua",
                () -> "1".equals(raw.commands().hget(state, "version")),
                new String[] {state},
                new String[] {"1", "{\"step\":2}", "0"},
                "swarm_write.lua",
                "TTL");
    }

    @Test
    void leasesOfMoreEntriesThanOneCommandTakesAreAllExtended(RawRedis raw) {
        String inbox = KeySchema.inbox(freshAgent("many-leases"), 5);
        raw.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(inbox, "0"),
                        KeySchema.INBOX_GROUP,
                        XGroupCreateArgs.Builder.mkstream());
        int held = 9_000; // more than Lua's unpack passes to one command
        raw.commands()
                .eval(
                        "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'f', i) end",
                        ScriptOutputType.STATUS,
                        new String[] {inbox},
                        Integer.toString(held));
        List<String> ids = raw
                .commands()
                .xreadgroup(
                        Consumer.from(KeySchema.INBOX_GROUP, "c1"),
                        XReadArgs.Builder.count(held),
                        XReadArgs.StreamOffset.lastConsumed(inbox))
                .stream()
                .map(StreamMessage::getId)
                .toList();
        String[] args = new String[2 + held];
        args[0] = KeySchema.INBOX_GROUP;
        args[1] = "c1";
        for (int i = 0; i < held; i++) {
            args[2 + i] = ids.get(i);
        }
        SCRIPTS.add("extend_lease.lua");
        INJECTED.incrementAndGet();

        List<Object> lost = RawScripts.run(raw, "extend_lease.lua", ScriptOutputType.MULTI, new String[] {inbox}, args);

        if (pending(raw, inbox) != held) {
            ACKNOWLEDGED_NOT_STORED.incrementAndGet();
        }
        assertThat(lost).isEmpty();
        assertThat(ids).hasSize(held);
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

    /** How the handler of {@link #faultWhileHeld} ends its delivery, and so which script settles it. */
    private enum Settle {
        ACK,
        RETRY,
        DEAD_LETTER
    }

    /**
     * Sends one message, turns {@code hostileKey} into a string while the handler holds it, lets the
     * handler end ({@code settle}: normally, with a retryable failure until the key is repaired, or with
     * a non-retryable failure), and checks that the settle step ({@code script}) failed without
     * acknowledging or recording anything: the entry is delivered a second time. Then repairs the key and
     * waits until the entry is settled.
     */
    private static void faultWhileHeld(
            LocalRedis redis, RawRedis raw, String script, AgentId agent, String hostileKey, Settle settle)
            throws Exception {
        SCRIPTS.add(script);
        INJECTED.incrementAndGet();
        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RECLAIM)) {
            CountDownLatch faultInjected = new CountDownLatch(1);
            AtomicInteger deliveries = new AtomicInteger();
            AtomicBoolean repaired = new AtomicBoolean();
            bus.subscribe(agent, delivery -> {
                faultInjected.await(10, TimeUnit.SECONDS);
                deliveries.incrementAndGet();
                if (settle == Settle.DEAD_LETTER) {
                    throw new NonRetryableException("poison");
                }
                if (settle == Settle.RETRY && !repaired.get()) {
                    throw new IllegalStateException("try again later");
                }
            });
            bus.sync().send(poison(agent));

            // The send wrote these keys too: the fault comes while the handler holds the message.
            raw.commands().del(hostileKey);
            raw.commands().set(hostileKey, SPOILED);
            faultInjected.countDown();

            // A second delivery means the first settle step failed and left the entry to reclaim (a retry
            // that worked would deliver it again too, but would have recorded the retry).
            await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.get() >= 2);
            if (pending(raw, agent) != 1 || deadLetters(raw, agent) != 0) {
                ACKNOWLEDGED_NOT_STORED.incrementAndGet();
            }
            assertThat(raw.commands().get(hostileKey)).isEqualTo(SPOILED);
            assertThat(retryRecords(raw, agent))
                    .as("records of a retry that did not happen")
                    .isZero();

            raw.commands().del(hostileKey);
            repaired.set(true);

            await().atMost(Duration.ofSeconds(10)).until(() -> pending(raw, agent) == 0);
        }
    }

    /**
     * Runs {@code script} on a raw connection with a fault in its keys or arguments: it must fail with an
     * error that names the fault ({@code mentions}), having written none of its keys; {@code kept} tells,
     * after the failure, whether the message (or whatever the script moves) is still where it was.
     */
    private static String refused(
            RawRedis raw, String script, BooleanSupplier kept, String[] keys, String[] args, String... mentions) {
        SCRIPTS.add(script);
        INJECTED.incrementAndGet();
        Map<String, String> before = RawScripts.snapshot(raw, keys);

        String error = RawScripts.failure(raw, script, keys, args);

        if (!kept.getAsBoolean()) {
            ACKNOWLEDGED_NOT_STORED.incrementAndGet();
        }
        assertThat(error).contains(mentions);
        assertThat(RawScripts.snapshot(raw, keys))
                .as("the keys %s wrote before failing with: %s", script, error)
                .isEqualTo(before);
        return error;
    }

    /** Makes {@code key} hold a value of another type than {@code type}, the type it should hold. */
    private static void spoil(RawRedis raw, String key, String type) {
        raw.commands().del(key);
        if (type.equals("string")) {
            raw.commands().hset(key, "spoiled", SPOILED);
        } else {
            raw.commands().set(key, SPOILED);
        }
    }

    /** The failure records, {@code retried} counts and {@code retried} audit records of {@code agent}. */
    private static long retryRecords(RawRedis raw, AgentId agent) {
        long records = 0;
        String failures = KeySchema.failures(agent, 5);
        if (raw.commands().type(failures).equals("hash")) {
            records += raw.commands().hlen(failures);
        }
        String counters = KeySchema.counters(agent);
        if (raw.commands().type(counters).equals("hash") && raw.commands().hget(counters, "retried") != null) {
            records += Long.parseLong(raw.commands().hget(counters, "retried"));
        }
        String audit = KeySchema.auditMessages(agent.value());
        if (raw.commands().type(audit).equals("stream")) {
            records += raw.commands().xrange(audit, Range.create("-", "+")).stream()
                    .filter(record -> "retried".equals(record.getBody().get(WireFields.AUDIT_EVENT)))
                    .count();
        }
        return records;
    }

    /**
     * Whether a send or schedule of {@code message} is recorded (dedup marker, {@code sent} counter, audit
     * record) although {@code stored} says it is not stored: a retry would be taken for a duplicate, and
     * the message is gone.
     */
    private static boolean recordedButAbsent(RawRedis raw, AgentId agent, Envelope message, long stored) {
        String dedup = KeySchema.dedup(agent, message.messageId());
        String counters = KeySchema.counters(agent);
        String audit = KeySchema.auditMessages(agent.value());
        boolean recorded = raw.commands().type(dedup).equals("string")
                || raw.commands().type(counters).equals("hash")
                        && raw.commands().hget(counters, "sent") != null
                || raw.commands().type(audit).equals("stream") && raw.commands().xlen(audit) > 0;
        return recorded && stored == 0;
    }

    private static long stored(RawRedis raw, String key) {
        String type = raw.commands().type(key);
        return switch (type) {
            case "stream" -> raw.commands().xlen(key);
            case "zset" -> raw.commands().zcard(key);
            default -> 0;
        };
    }

    /** An entry of {@code inbox} read by consumer {@code c1}: pending. Returns its id. */
    private static String pendingEntry(RawRedis raw, String inbox) {
        raw.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(inbox, "0"),
                        KeySchema.INBOX_GROUP,
                        XGroupCreateArgs.Builder.mkstream());
        String id = raw.commands().xadd(inbox, WireFields.MESSAGE_ID, "m-1", WireFields.PAYLOAD, "{}");
        raw.commands()
                .xreadgroup(Consumer.from(KeySchema.INBOX_GROUP, "c1"), XReadArgs.StreamOffset.lastConsumed(inbox));
        return id;
    }

    private static long pending(RawRedis raw, String inbox) {
        return raw.commands().xpending(inbox, KeySchema.INBOX_GROUP).getCount();
    }

    /** A message's fields as arguments of send.lua: field, value, ... */
    private static String[] sendArgs(String first, String... fields) {
        String[] args = new String[4 + fields.length];
        args[0] = first;
        args[1] = "";
        args[2] = "0";
        args[3] = "100";
        System.arraycopy(fields, 0, args, 4, fields.length);
        return args;
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
