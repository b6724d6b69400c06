package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The wire format is a contract (docs/PROTOCOL.md): checked with raw Redis commands, as another language sees it. */
@ExtendWith(RedisServerExtension.class)
class WireFormatIT {

    private static RawRedis raw;

    @BeforeAll
    static void connectRaw(RawRedis connection) {
        raw = connection;
    }

    @Test
    void sendWritesOneStreamEntryWithSnakeCaseStringFields(LocalRedis redis) {
        AgentId reviewer = freshAgent("content_manager");
        Envelope request = Envelope.builder()
                .messageId("req-1")
                .from("copywriter")
                .to(reviewer)
                .type("review_request")
                .payload("{\"draft\":\"Hello\",\"words\":1}")
                .timestamp(Instant.parse("2025-11-03T10:30:00Z"))
                .priority("urgent")
                .replyTo(AgentId.of("copywriter"))
                .correlationId("corr-7")
                .conversationId("conv-3")
                .extension("x_trace", "abc")
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.sync().send(request);
        }

        // Priority 8 (urgent) belongs to the high band's stream.
        List<StreamMessage<String, String>> entries =
                raw.commands().xrange("agent:{" + reviewer.value() + "}:inbox:high", Range.create("-", "+"));

        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getBody())
                .containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                        Map.entry("v", "1"),
                        Map.entry("message_id", "req-1"),
                        Map.entry("from_agent", "copywriter"),
                        Map.entry("to_agent", reviewer.value()),
                        Map.entry("message_type", "review_request"),
                        Map.entry("payload", "{\"draft\":\"Hello\",\"words\":1}"),
                        Map.entry("timestamp", "2025-11-03T10:30:00Z"),
                        Map.entry("priority", "8"),
                        Map.entry("reply_to", "copywriter"),
                        Map.entry("correlation_id", "corr-7"),
                        Map.entry("conversation_id", "conv-3"),
                        Map.entry("x_trace", "abc")));
    }

    @Test
    void eachPriorityBandHasItsOwnStream(LocalRedis redis) {
        AgentId agent = freshAgent("analyst");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            for (int priority : new int[] {1, 3, 4, 5, 6, 7, 9}) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("t")
                                .payload("{}")
                                .priority(priority)
                                .build());
            }
        }

        String inbox = "agent:{" + agent.value() + "}:inbox";
        assertThat(raw.commands().xlen(inbox + ":low")).isEqualTo(2);
        assertThat(raw.commands().xlen(inbox)).isEqualTo(3);
        assertThat(raw.commands().xlen(inbox + ":high")).isEqualTo(2);
    }

    @Test
    void entryWrittenByAnotherLanguageIsDeliveredWithItsUnknownFieldsKept(LocalRedis redis) throws Exception {
        AgentId seo = freshAgent("seo_specialist");
        // What the seed's Python code writes: created_at instead of timestamp, a named priority, no v.
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("message_id", "py-42");
        fields.put("from_agent", "cmo");
        fields.put("to_agent", seo.value());
        fields.put("message_type", "task_assignment");
        fields.put("payload", "{\"keywords\":[\"agents\",\"redis\"]}");
        fields.put("created_at", "2025-11-03T10:30:00.250000");
        fields.put("priority", "high");
        fields.put("department", "marketing");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(seo, handler);

            raw.commands().xadd("agent:{" + seo.value() + "}:inbox", fields);

            Envelope received = handler.await(1, Duration.ofSeconds(10)).get(0).envelope();
            assertThat(received.messageId()).isEqualTo(MessageId.of("py-42"));
            assertThat(received.timestamp()).isEqualTo(Instant.parse("2025-11-03T10:30:00.250Z"));
            assertThat(received.priority()).isEqualTo(7);
            assertThat(received.v()).isEqualTo(1);
            assertThat(received.extensions()).containsExactly(Map.entry("department", "marketing"));
        }
    }

    @Test
    void inboxGroupIsNamedAgentbusAndStartsAtTheFirstEntry(LocalRedis redis) {
        AgentId agent = freshAgent("brand_manager");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(agent, RecordingHandler.acking());

            List<Object> groups = raw.commands().xinfoGroups("agent:{" + agent.value() + "}:inbox");

            assertThat(groups).hasSize(1);
            List<?> group = (List<?>) groups.get(0);
            assertThat(group.get(group.indexOf("name") + 1)).isEqualTo("agentbus");
        }
    }
}
