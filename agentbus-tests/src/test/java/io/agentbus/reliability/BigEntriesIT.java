package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bytes bound the reads: entries far larger than a message may be (written straight into an inbox, as a
 * broken or hostile client could) go to dead letters as {@code too_large}, and the valid messages between
 * them are all delivered, to a consumer whose heap is smaller than the big entries together. Half of the
 * big entries wait before the consumer starts (read with {@code read.lua}, never sent whole), half arrive
 * while it waits (its blocking read takes one entry of a stream at a time).
 */
@ExtendWith(RedisServerExtension.class)
class BigEntriesIT {

    private static final int HEAP_MB = 128; // ConsumerProcess's -Xmx
    private static final int BIG_ENTRIES = 12;
    private static final int BIG_ENTRY_MB = 20;
    private static final int VALID_PER_BIG = 2;

    @Test
    void bigEntriesGoToDeadLettersAndTheValidMessagesBetweenThemArrive(LocalRedis redis, RawRedis raw)
            throws Exception {
        AgentId agent = freshAgent("hoarded");
        String records = "records:" + agent.value();
        Set<String> validIds = new HashSet<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            for (int i = 0; i < BIG_ENTRIES / 2; i++) {
                writeBigEntry(raw, agent);
                sendValid(bus, agent, validIds);
            }
            try (ConsumerProcess consumer = ConsumerProcess.start(
                    Path.of("target", "big-entries.log"),
                    redis.uri(),
                    agent.value(),
                    records,
                    "30000",
                    "256",
                    "100",
                    "0")) {
                consumer.awaitReady(Duration.ofSeconds(60));
                for (int i = BIG_ENTRIES / 2; i < BIG_ENTRIES; i++) {
                    writeBigEntry(raw, agent);
                    sendValid(bus, agent, validIds);
                    Thread.sleep(200); // let the consumer wait between them: its blocking read takes these
                }
                await().atMost(Duration.ofSeconds(90))
                        .until(() ->
                                deliveredIds(raw, records).containsAll(validIds) && tooLarge(raw, agent) >= BIG_ENTRIES
                                        || !consumer.isReady());
                assertThat(consumer.isReady())
                        .as("the consumer process is alive (see target/big-entries.log)")
                        .isTrue();
            }
        }
        Set<String> delivered = deliveredIds(raw, records);
        long deliveredValid = validIds.stream().filter(delivered::contains).count();
        long deadLetteredTooLarge = tooLarge(raw, agent);
        ScenarioResult.print(
                "big-entries",
                "heap_mb",
                HEAP_MB,
                "entries_mb",
                BIG_ENTRIES * BIG_ENTRY_MB,
                "delivered_valid",
                deliveredValid == validIds.size() ? "all" : deliveredValid + "/" + validIds.size(),
                "dead_lettered_too_large",
                deadLetteredTooLarge == BIG_ENTRIES ? "all" : deadLetteredTooLarge + "/" + BIG_ENTRIES);
        assertThat(deliveredValid).isEqualTo(validIds.size());
        assertThat(deadLetteredTooLarge).isEqualTo(BIG_ENTRIES);
        assertThat(raw.commands()
                        .xpending(KeySchema.inbox(agent, 5), KeySchema.INBOX_GROUP)
                        .getCount())
                .as("nothing left pending")
                .isZero();
    }

    /** A well-formed message whose payload alone is {@link #BIG_ENTRY_MB} MB, XADDed as a client that ignores the limit would. */
    private static void writeBigEntry(RawRedis raw, AgentId agent) {
        byte[] payload = new byte[BIG_ENTRY_MB * 1024 * 1024];
        Arrays.fill(payload, (byte) 'x');
        payload[0] = '{';
        payload[1] = '"';
        payload[2] = 'a';
        payload[3] = '"';
        payload[4] = ':';
        payload[5] = '"';
        payload[payload.length - 2] = '"';
        payload[payload.length - 1] = '}';
        Map<byte[], byte[]> fields = new LinkedHashMap<>();
        fields.put(bytes("v"), bytes("1"));
        fields.put(bytes("message_id"), bytes("big-" + UUID.randomUUID()));
        fields.put(bytes("from_agent"), bytes("hoarder"));
        fields.put(bytes("to_agent"), bytes(agent.value()));
        fields.put(bytes("message_type"), bytes("task"));
        fields.put(bytes("payload"), payload);
        fields.put(bytes("timestamp"), bytes("2026-12-02T10:30:00Z"));
        fields.put(bytes("priority"), bytes("5"));
        raw.bytes().xadd(bytes(KeySchema.inbox(agent, 5)), fields);
    }

    private static void sendValid(AgentBus bus, AgentId agent, Set<String> validIds) {
        for (int i = 0; i < VALID_PER_BIG; i++) {
            Envelope envelope = Envelope.builder()
                    .from("cmo")
                    .to(agent)
                    .type("task")
                    .payload("{\"n\":" + validIds.size() + "}")
                    .build();
            bus.sync().send(envelope);
            validIds.add(envelope.messageId().value());
        }
    }

    private static Set<String> deliveredIds(RawRedis raw, String records) {
        Set<String> ids = new HashSet<>();
        for (String record : raw.commands().lrange(records, 0, -1)) {
            ids.add(record.split(" ")[0]);
        }
        return ids;
    }

    /** Dead letters of {@code agent} with reason {@code too_large}, counted server-side: each holds its 20 MB. */
    private static long tooLarge(RawRedis raw, AgentId agent) {
        return raw.commands()
                .eval(
                        "local n = 0\n"
                                + "for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do\n"
                                + "  local f = entry[2]\n"
                                + "  for i = 1, #f, 2 do\n"
                                + "    if f[i] == 'dlq_reason' and f[i + 1] == 'too_large' then n = n + 1 end\n"
                                + "  end\n"
                                + "end\n"
                                + "return n",
                        ScriptOutputType.INTEGER,
                        KeySchema.deadLetters(agent));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
