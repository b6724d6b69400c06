package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Subscription;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Instances that ended without closing (SIGKILL, a crash) leave their consumer in the inbox's group and
 * their entry in {@code agent:{id}:instances}; a running instance of the agent removes both. A consumer
 * that holds a pending entry is removed only once a live instance has reclaimed the entry: its message
 * is handled, never dropped from the pending entries list. A temporary requester (the {@code cli-<hex>}
 * of {@code agentbus request}) leaves nothing once its TTL has passed, even when killed mid-request.
 */
@ExtendWith(RedisServerExtension.class)
class SweepingIT {

    private static final Duration VISIBILITY = Duration.ofMillis(200);
    /** Short, so that the test waits seconds, not the CLI's default of 30 s. */
    private static final Duration REQUESTER_TTL = Duration.ofSeconds(1);

    @Test
    void aLiveInstanceRemovesDeadConsumersAndStaleInstancesButNeverPendingWork(LocalRedis redis, RawRedis raw)
            throws Exception {
        AgentId agent = freshAgent("swept");
        String inbox = KeySchema.inbox(agent, 5);
        Queue<String> handled = new ConcurrentLinkedQueue<>();
        // The leftovers of two killed instances: one idle with nothing pending, one holding a message.
        raw.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(inbox, "0"),
                        KeySchema.INBOX_GROUP,
                        XGroupCreateArgs.Builder.mkstream());
        raw.commands().xgroupCreateconsumer(inbox, Consumer.from(KeySchema.INBOX_GROUP, "killed-idle"));
        raw.commands()
                .xadd(
                        inbox,
                        Map.of(
                                "message_id", "held-by-the-dead",
                                "from_agent", "cmo",
                                "to_agent", agent.value(),
                                "message_type", "task",
                                "payload", "{}",
                                "timestamp", Instant.now().toString()));
        raw.commands()
                .xreadgroup(
                        Consumer.from(KeySchema.INBOX_GROUP, "killed-holding"),
                        XReadArgs.StreamOffset.lastConsumed(inbox));
        raw.commands().zadd(KeySchema.instances(agent), 1.0, "killed-idle");
        BusOptions sweeping = BusOptions.builder()
                .delivery(
                        DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
                .build();

        try (AgentBus bus = AgentBus.connect(redis.uri(), sweeping)) {
            Subscription live = bus.subscribe(
                    agent,
                    delivery -> handled.add(delivery.envelope().messageId().value()));

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> !consumers(bus, agent).contains("killed-idle")
                            && !consumers(bus, agent).contains("killed-holding")
                            && raw.commands().zscore(KeySchema.instances(agent), "killed-idle") == null);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> raw.commands()
                                    .xpending(inbox, KeySchema.INBOX_GROUP)
                                    .getCount()
                            == 0);

            Set<String> after = consumers(bus, agent);
            long deadConsumersAfter =
                    after.stream().filter(name -> name.startsWith("killed-")).count();
            long staleInstancesAfter = raw.commands().zscore(KeySchema.instances(agent), "killed-idle") == null ? 0 : 1;
            long requestersAfterTtl = temporaryRequestersAfterTheirTtl(redis, raw);
            ScenarioResult.print(
                    "sweeping",
                    "dead_consumers_after",
                    deadConsumersAfter,
                    "stale_instances_after",
                    staleInstancesAfter,
                    "cli_requesters_after_ttl",
                    requestersAfterTtl,
                    "held_message_handled",
                    handled.contains("held-by-the-dead"));
            assertThat(after).containsExactly(live.consumer());
            assertThat(handled).containsExactly("held-by-the-dead");
            assertThat(deadConsumersAfter).isZero();
            assertThat(staleInstancesAfter).isZero();
            assertThat(requestersAfterTtl).isZero();
        }
    }

    /**
     * Two temporary requesters, as {@code agentbus request} makes them: one that got its reply and closed,
     * one killed (SIGKILL, in a JVM of its own) while its request was with the responder. Returns how many
     * of them left anything once their TTL passed: a key of theirs (but a dedup marker, which expires with
     * the dedup window), or a member in {@code agents:known}.
     */
    private static long temporaryRequestersAfterTheirTtl(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId responder = freshAgent("answers");
        AgentId closed = freshAgent("cli-closed");
        AgentId killed = freshAgent("cli-killed");
        Queue<String> received = new ConcurrentLinkedQueue<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.serve(responder, delivery -> {
                received.add(delivery.envelope().fromAgent().value());
                return "never_answered".equals(delivery.envelope().messageType()) ? null : Map.of("ok", true);
            });
            try (Subscription requester = bus.subscribe(
                    closed, DeliveryOptions.builder().expireAfter(REQUESTER_TTL).build(), delivery -> {})) {
                bus.request(
                                Envelope.builder()
                                        .from(closed)
                                        .to(responder)
                                        .type("ping")
                                        .payload("{}")
                                        .build(),
                                Duration.ofSeconds(10))
                        .toCompletableFuture()
                        .get(15, TimeUnit.SECONDS);
                assertThat(raw.commands().pttl(KeySchema.inbox(closed, 5))).isPositive();
            }
            assertThat(leftBehind(raw, closed))
                    .as("deleted on close, not left to expire")
                    .isZero();
            try (ConsumerProcess process = ConsumerProcess.start(
                    Path.of("target", "sweeping-temporary-requester.log"),
                    TemporaryRequesterMain.class,
                    redis.uri(),
                    killed.value(),
                    responder.value(),
                    Long.toString(REQUESTER_TTL.toMillis()))) {
                process.awaitReady(Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> received.contains(killed.value()));
                assertThat(raw.commands().pttl(KeySchema.inbox(killed, 5))).isPositive();
                process.kill();
            }
            await().pollDelay(REQUESTER_TTL)
                    .atMost(REQUESTER_TTL.plusSeconds(10))
                    .until(() -> leftBehind(raw, closed) + leftBehind(raw, killed) == 0);
            return leftBehind(raw, closed) + leftBehind(raw, killed);
        }
    }

    /** 1 if {@code requester} left a lasting key or an {@code agents:known} member, else 0. */
    private static long leftBehind(RawRedis raw, AgentId requester) {
        ScanArgs pattern =
                ScanArgs.Builder.matches("agent:{" + requester.value() + "}:*").limit(1000);
        boolean keys = false;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = raw.commands().scan(cursor, pattern);
            for (String key : page.getKeys()) {
                // EXISTS, not the SCAN alone: it expires a key whose time has come.
                boolean dedupMarker = key.contains("}:dedup:") && raw.commands().pttl(key) > 0;
                keys |= raw.commands().exists(key) > 0 && !dedupMarker;
            }
            cursor = page;
        } while (!cursor.isFinished());
        boolean known = raw.commands().sismember(KeySchema.KNOWN_AGENTS, requester.value());
        return keys || known ? 1 : 0;
    }

    /** The consumer names of the agent's inbox, as {@code bus.inbox(agent)} reports them over its bands. */
    private static Set<String> consumers(AgentBus bus, AgentId agent) {
        return bus.sync().inbox(agent).consumers().stream()
                .map(InboxStats.ConsumerStats::name)
                .collect(Collectors.toSet());
    }
}
