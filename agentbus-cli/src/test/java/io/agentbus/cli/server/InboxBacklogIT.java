package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Priority;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.agentbus.testkit.TestIds;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backlog figures of {@link InboxStats} against a real Redis: {@code unread} (from XINFO GROUPS lag on 7.0+,
 * counted on 6.2 and where a deletion leaves 7.x without a lag), the age of the oldest unread entry, entries
 * overdue past the visibility timeout, and dead consumers. Run again on Redis 6.2 by {@link InboxBacklogOnRedis62IT}.
 * A "reader" here is a raw XREADGROUP, as a client of the protocol reads: it takes entries without settling them.
 */
@ExtendWith(RedisServerExtension.class)
class InboxBacklogIT {

    private static final Duration VISIBILITY = Duration.ofMillis(200);

    @Test
    void unreadIsWhatNoInstanceReceivedYetBesidePending(LocalRedis redis, RawRedis raw) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId agent = TestIds.freshAgent("backlog");
            List<String> ids = send(bus, agent, 10);

            InboxStats neverSubscribed = bus.sync().inbox(agent);
            List<StreamMessage<String, String>> read = readAsRaw(raw, agent, "reader", 3);
            InboxStats afterThreeRead = bus.sync().inbox(agent);

            assertThat(neverSubscribed.groupExists()).isFalse();
            assertThat(neverSubscribed.unread()).isEqualTo(10);
            assertThat(neverSubscribed.length()).isEqualTo(10);
            assertThat(neverSubscribed.oldestUnreadAge()).isPresent();
            assertThat(read).extracting(StreamMessage::getId).containsExactlyElementsOf(ids.subList(0, 3));
            assertThat(afterThreeRead.unread()).isEqualTo(7);
            assertThat(afterThreeRead.pending()).isEqualTo(3);
            assertThat(afterThreeRead.length())
                    .as("retained entries, read or not")
                    .isEqualTo(10);
            // The oldest unread is the 4th entry, younger than the oldest pending (the 1st).
            assertThat(afterThreeRead.oldestUnreadAge().orElseThrow())
                    .isLessThanOrEqualTo(afterThreeRead.oldestPendingAge().orElseThrow());
            assertThat(afterThreeRead.oldestUnreadAge().orElseThrow()).isLessThanOrEqualTo(ageBound(ids.get(3), raw));
        }
    }

    @Test
    void unreadIsCountedWhenADeletionLeavesRedisWithoutALag(LocalRedis redis, RawRedis raw) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId agent = TestIds.freshAgent("deleted");
            List<String> ids = send(bus, agent, 10);
            readAsRaw(raw, agent, "reader", 3);

            raw.commands().xdel(normalBand(agent), ids.get(5));
            InboxStats stats = bus.sync().inbox(agent);

            assertThat(stats.unread()).isEqualTo(6);
            assertThat(stats.length()).isEqualTo(9);
        }
    }

    @Test
    void unreadIsSummedOverThePriorityBands(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            AgentId agent = TestIds.freshAgent("bands");
            for (int priority : new int[] {Priority.MIN, 5, Priority.MAX}) {
                bus.sync().send(message(agent, priority));
            }

            InboxStats stats = bus.sync().inbox(agent);

            assertThat(stats.unread()).isEqualTo(3);
        }
    }

    @Test
    void entriesHeldPastTheVisibilityTimeoutAreOverdueAndTheirSilentConsumerIsDead(LocalRedis redis, RawRedis raw) {
        BusOptions options = BusOptions.builder()
                .delivery(
                        DeliveryOptions.builder().visibilityTimeout(VISIBILITY).build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            AgentId agent = TestIds.freshAgent("overdue");
            send(bus, agent, 3);
            readAsRaw(raw, agent, "crashed", 2);
            // A consumer that reads nothing but heartbeats, as a running instance does between messages.
            raw.commands().xgroupCreateconsumer(normalBand(agent), Consumer.from(KeySchema.INBOX_GROUP, "beating"));
            raw.commands().zadd(KeySchema.instances(agent), System.currentTimeMillis() + 60_000, "beating");

            InboxStats stats = await().atMost(Duration.ofSeconds(5))
                    .until(
                            () -> bus.sync().inbox(agent),
                            inbox -> inbox.consumers().stream()
                                    .anyMatch(consumer -> consumer.name().equals("crashed") && !consumer.live()));

            assertThat(stats.overdue()).isEqualTo(2);
            assertThat(stats.unread()).isEqualTo(1);
            assertThat(stats.consumers())
                    .filteredOn(consumer -> consumer.name().equals("beating"))
                    .singleElement()
                    .satisfies(beating -> assertThat(beating.live()).isTrue());
            assertThat(stats.consumers())
                    .filteredOn(consumer -> consumer.name().equals("crashed"))
                    .singleElement()
                    .satisfies(crashed -> {
                        assertThat(crashed.pending()).isEqualTo(2);
                        assertThat(crashed.idle()).isGreaterThan(VISIBILITY.multipliedBy(3));
                    });
        }
    }

    private static List<String> send(AgentBus bus, AgentId agent, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(bus.sync().send(message(agent, 5)).entryId());
        }
        return ids;
    }

    private static Envelope message(AgentId agent, int priority) {
        return Envelope.builder()
                .from("backlog_test")
                .to(agent)
                .type("task")
                .priority(priority)
                .payload(Map.of("n", 1))
                .build();
    }

    private static String normalBand(AgentId agent) {
        return KeySchema.inbox(agent, KeySchema.NORMAL_BAND_LOWEST_PRIORITY);
    }

    /** Creates the group from the first entry if needed and reads {@code count} new entries as {@code consumer}. */
    private static List<StreamMessage<String, String>> readAsRaw(
            RawRedis raw, AgentId agent, String consumer, int count) {
        String band = normalBand(agent);
        try {
            raw.commands().xgroupCreate(XReadArgs.StreamOffset.from(band, "0"), KeySchema.INBOX_GROUP);
        } catch (io.lettuce.core.RedisBusyException exists) {
            // BUSYGROUP: created by an earlier read
        }
        return raw.commands()
                .xreadgroup(
                        Consumer.from(KeySchema.INBOX_GROUP, consumer),
                        XReadArgs.Builder.count(count),
                        XReadArgs.StreamOffset.lastConsumed(band));
    }

    /** How old entry {@code id} is by the server's clock, plus a margin for the time the inspection took. */
    private static Duration ageBound(String id, RawRedis raw) {
        List<String> time = raw.commands().time();
        long nowMillis = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        return Duration.ofMillis(nowMillis - Long.parseLong(id.substring(0, id.indexOf('-'))));
    }
}
