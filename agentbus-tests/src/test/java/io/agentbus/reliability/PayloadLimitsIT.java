package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.StreamMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario {@code payload-limits}: with a payload cap of {@link #CAP} bytes, a payload of exactly the cap
 * (counted in UTF-8 bytes, not characters) is sent and handled; one byte more is refused by the send before
 * any Redis command (no key of the recipient, no index entry, no write command counted by the server); and
 * an entry far over the cap written straight into the inbox goes to dead letters as {@code too_large}
 * without the consumer reading it: it waits in the inbox before the subscription starts, so the first read
 * is {@code read.lua}, which returns only the id and size of an entry over the limit, and the dead letter's
 * detail is that path's.
 */
@ExtendWith(RedisServerExtension.class)
class PayloadLimitsIT {

    private static final int CAP = 4096;
    private static final int RAW_PAYLOAD_BYTES = 2 * 1024 * 1024; // far over CAP + 64 KiB, what a reader takes
    private static final List<String> WRITE_COMMANDS = List.of("eval", "evalsha", "xadd", "sadd", "set", "hset");

    @Test
    void payloadAtTheCapIsAcceptedOverItWritesNothingAndARawOversizeEntryIsDeadLetteredUnread(
            LocalRedis redis, RawRedis raw) {
        AgentId agent = freshAgent("limited");
        BusOptions capped = BusOptions.builder()
                .send(SendOptions.builder().maxPayloadBytes(CAP).build())
                .build();
        writeOversizeEntry(raw, agent);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        try (AgentBus sender = AgentBus.connect(redis.uri(), capped)) {
            Envelope atCap = task(agent, payloadOf(CAP));
            Envelope overCap = task(agent, payloadOf(CAP + 1));
            assertThat(atCap.payloadBytes()).isEqualTo(CAP);
            assertThat(overCap.payloadBytes()).isEqualTo(CAP + 1);

            Map<String, Long> writesBefore = writeCommandCalls(raw);
            assertThatThrownBy(() -> sender.send(overCap))
                    .isInstanceOf(InvalidEnvelopeException.class)
                    .hasMessageContaining("at most " + CAP + " bytes")
                    .hasMessageContaining("but is " + (CAP + 1) + " bytes");
            assertThatThrownBy(() -> sender.sync().send(overCap)).isInstanceOf(InvalidEnvelopeException.class);
            long overCapWritten = recipientKeysBesidesTheRawEntry(raw, agent)
                    + (raw.commands().sismember(KeySchema.KNOWN_AGENTS, agent.value()) ? 1 : 0)
                    + changedCalls(writesBefore, writeCommandCalls(raw));

            sender.sync().send(atCap);
            try (AgentBus consumer = AgentBus.connect(redis.uri(), capped)) {
                consumer.subscribe(
                        agent,
                        delivery -> handled.add(delivery.envelope().messageId().value()));
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> handled.contains(atCap.messageId().value())
                                && raw.commands().xlen(KeySchema.deadLetters(agent)) >= 1);
            }
            List<StreamMessage<String, String>> dead =
                    raw.commands().xrange(KeySchema.deadLetters(agent), Range.create("-", "+"));
            long rawOversizeDeadLettered = dead.stream()
                    .filter(letter -> "too_large".equals(letter.getBody().get(WireFields.DLQ_REASON)))
                    .filter(letter ->
                            letter.getBody().get(WireFields.DLQ_DETAIL).startsWith("the entry has "))
                    .count();
            int atCapAccepted = handled.contains(atCap.messageId().value()) ? 1 : 0;
            ScenarioResult.print(
                    "payload-limits",
                    "at_cap_accepted",
                    atCapAccepted,
                    "over_cap_written",
                    overCapWritten,
                    "raw_oversize_dead_lettered",
                    rawOversizeDeadLettered,
                    "cap_bytes",
                    CAP,
                    "raw_payload_bytes",
                    RAW_PAYLOAD_BYTES);

            assertThat(atCapAccepted).isEqualTo(1);
            assertThat(overCapWritten).isZero();
            assertThat(rawOversizeDeadLettered).isEqualTo(1);
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).getBody().get(WireFields.PAYLOAD))
                    .as("the dead letter keeps the entry's fields, copied server-side")
                    .hasSize(RAW_PAYLOAD_BYTES);
            assertThat(handled).containsExactly(atCap.messageId().value());
        }
    }

    /** A JSON object payload of exactly {@code bytes} UTF-8 bytes, two-byte characters included. */
    private static String payloadOf(int bytes) {
        String frame = "{\"text\":\"\"}"; // 11 bytes
        int fill = bytes - frame.length();
        String text = "é".repeat(fill / 2) + "x".repeat(fill % 2);
        String payload = "{\"text\":\"" + text + "\"}";
        assertThat(payload.getBytes(StandardCharsets.UTF_8)).hasSize(bytes);
        return payload;
    }

    private static Envelope task(AgentId to, String payload) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload(payload)
                .build();
    }

    /** A well-formed message whose payload is {@link #RAW_PAYLOAD_BYTES}, XADDed as a client ignoring the cap would. */
    private static void writeOversizeEntry(RawRedis raw, AgentId agent) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.V, "1");
        fields.put(WireFields.MESSAGE_ID, "oversize-" + agent.value());
        fields.put(WireFields.FROM_AGENT, "hoarder");
        fields.put(WireFields.TO_AGENT, agent.value());
        fields.put(WireFields.MESSAGE_TYPE, "task");
        fields.put(WireFields.PAYLOAD, "{\"a\":\"" + "x".repeat(RAW_PAYLOAD_BYTES - 8) + "\"}");
        fields.put(WireFields.TIMESTAMP, "2026-12-02T10:30:00Z");
        fields.put(WireFields.PRIORITY, "5");
        raw.commands().xadd(KeySchema.inbox(agent, 5), fields);
    }

    /** Keys naming the agent other than the inbox band that holds the raw entry. */
    private static long recipientKeysBesidesTheRawEntry(RawRedis raw, AgentId agent) {
        List<String> keys = raw.commands()
                .scan(ScanArgs.Builder.matches("*" + agent.value() + "*").limit(10_000))
                .getKeys();
        return keys.stream()
                        .filter(key -> !key.equals(KeySchema.inbox(agent, 5)))
                        .count()
                + raw.commands().xlen(KeySchema.inbox(agent, 5))
                - 1;
    }

    /** Calls of each write command the server counted so far ({@code INFO commandstats}). */
    private static Map<String, Long> writeCommandCalls(RawRedis raw) {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : raw.commands().info("commandstats").split("\r?\n")) {
            for (String command : WRITE_COMMANDS) {
                if (line.startsWith("cmdstat_" + command + ":")) {
                    calls.put(command, Long.parseLong(line.replaceAll(".*calls=(\\d+).*", "$1")));
                }
            }
        }
        return calls;
    }

    private static long changedCalls(Map<String, Long> before, Map<String, Long> after) {
        return after.entrySet().stream()
                .mapToLong(entry -> entry.getValue() - before.getOrDefault(entry.getKey(), 0L))
                .sum();
    }
}
