package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * read.lua takes up to its count in one XREADGROUP and gives back, as if never read, the entries after the
 * one that crossed the byte budget: out of the PEL, the group's last-delivered-id set back, so that the
 * next read returns them first, at attempt 1. Nothing read is lost, held twice or left pending.
 */
@ExtendWith(RedisServerExtension.class)
class ReadBudgetIT {

    private static final String GROUP = "agentbus";

    @Test
    void entriesPastTheBudgetAreGivenBackAndReadNextTime(RawRedis raw) {
        String stream = "agent:{" + freshAgent("budget").value() + "}:inbox";
        List<String> ids = fill(raw, stream, 10, "x".repeat(995));

        // Each entry is 1,000 bytes: the third crosses a budget of 2,500 and is the last returned.
        List<Object> first = read(raw, stream, "c1", 10, 2_500);
        assertThat(entryIds(first)).containsExactlyElementsOf(ids.subList(0, 3));
        assertThat(raw.commands().xpending(stream, GROUP).getCount()).isEqualTo(3);
        assertThat(lastDeliveredId(raw, stream)).isEqualTo(ids.get(2));

        List<Object> second = read(raw, stream, "c2", 10, 1_000_000);
        assertThat(entryIds(second)).containsExactlyElementsOf(ids.subList(3, 10));
        assertThat(deliveryCounts(second)).containsOnly(1L);
        assertThat(raw.commands().xpending(stream, GROUP).getCount()).isEqualTo(10);
        assertThat(entryIds(read(raw, stream, "c1", 10, 1_000_000))).isEmpty();
    }

    /** A count above the script's chunk of 100 is read in chunks, all of it, and no more. */
    @Test
    void aLargeCountIsReadInChunks(RawRedis raw) {
        String stream = "agent:{" + freshAgent("chunks").value() + "}:inbox";
        List<String> ids = fill(raw, stream, 300, "");

        assertThat(entryIds(read(raw, stream, "c1", 250, 1_000_000))).containsExactlyElementsOf(ids.subList(0, 250));
        assertThat(entryIds(read(raw, stream, "c1", 1_000_000, 1_000_000)))
                .containsExactlyElementsOf(ids.subList(250, 300));
        assertThat(raw.commands().xpending(stream, GROUP).getCount()).isEqualTo(300);
    }

    @Test
    void aConsumerWithASmallReadBudgetHandlesEveryMessageOnce(LocalRedis redis) throws Exception {
        int messages = Scale.of(300, 2_000);
        AgentId agent = freshAgent("small-reads");
        // About three messages of 1 KiB per read: almost every read gives entries back.
        BusOptions smallReads = BusOptions.builder()
                .consumer(ConsumerOptions.builder().maxReadBytes(3_000).build())
                .build();
        Queue<String> handled = new ConcurrentLinkedQueue<>();
        try (AgentBus bus = AgentBus.connect(redis.uri(), smallReads)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                sent.add(bus.sync()
                        .send(Envelope.builder()
                                .from("budget-test")
                                .to(agent)
                                .type("task")
                                .payload(Map.of("n", i, "body", "x".repeat(1_000)))
                                .build())
                        .messageId()
                        .value());
            }
            bus.subscribe(agent, delivery -> {
                if (delivery.attempt() == 1) {
                    handled.add(delivery.envelope().messageId().value());
                }
            });
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> handled.size() >= messages
                            && bus.sync().inbox(agent).pending() == 0);
            Map<String, Long> times = handled.stream().collect(Collectors.groupingBy(id -> id, Collectors.counting()));
            long duplicated = handled.size() - times.size();
            long lost = sent.stream().filter(id -> !times.containsKey(id)).count();
            ScenarioResult.print("read-budget", "messages", messages, "lost", lost, "duplicated", duplicated);
            assertThat(lost).isZero();
            assertThat(duplicated).isZero();
            assertThat(bus.deadLetters(agent).count()).isZero();
        }
    }

    /** Creates {@code stream} with the group and adds {@code entries} entries {n, body}; their ids. */
    private static List<String> fill(RawRedis raw, String stream, int entries, String body) {
        raw.commands()
                .xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            ids.add(raw.commands().xadd(stream, Map.of("n", Integer.toString(i), "body", body)));
        }
        return ids;
    }

    private static List<Object> read(RawRedis raw, String stream, String consumer, int count, long budget) {
        List<Object> reply = RawScripts.run(
                raw,
                "read.lua",
                ScriptOutputType.MULTI,
                new String[] {stream},
                GROUP,
                consumer,
                Integer.toString(count),
                Long.toString(budget),
                "1000000");
        assertThat((List<?>) reply.get(1)).as("entries too large").isEmpty();
        @SuppressWarnings("unchecked")
        List<Object> entries = (List<Object>) reply.get(0);
        return entries;
    }

    private static List<String> entryIds(List<Object> entries) {
        return entries.stream().map(entry -> (String) ((List<?>) entry).get(0)).toList();
    }

    private static List<Long> deliveryCounts(List<Object> entries) {
        return entries.stream().map(entry -> (Long) ((List<?>) entry).get(1)).toList();
    }

    private static String lastDeliveredId(RawRedis raw, String stream) {
        List<Object> group =
                (List<Object>) (List<?>) raw.commands().xinfoGroups(stream).get(0);
        for (int i = 0; i < group.size(); i += 2) {
            if ("last-delivered-id".equals(group.get(i))) {
                return (String) group.get(i + 1);
            }
        }
        throw new AssertionError("no last-delivered-id in " + group);
    }
}
