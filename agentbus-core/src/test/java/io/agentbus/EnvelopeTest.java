package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

    @Test
    void builderFillsIdTimestampAndNormalPriority() {
        Instant before = Instant.now().minusMillis(1);

        Envelope envelope = Envelope.builder()
                .from("cmo")
                .to("copywriter")
                .type("task")
                .payload("{}")
                .build();

        assertThat(envelope.v()).isEqualTo(1);
        assertThat(envelope.messageId().value()).matches("[0-9a-f-]{36}");
        assertThat(envelope.timestamp()).isAfter(before);
        assertThat(envelope.priority()).isEqualTo(5);
        assertThat(envelope.replyTo()).isEmpty();
        assertThat(envelope.extensions()).isEmpty();
    }

    @Test
    void traceContextIsCarriedAsTheW3cFieldsAndAMalformedOneIsRefusedNamingTheField() {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        Envelope traced = envelope().traceContext(traceparent, "vendor=1").build();

        assertThat(traced.traceparent()).contains(traceparent);
        assertThat(traced.tracestate()).contains("vendor=1");
        assertThat(traced.extensions())
                .containsEntry("traceparent", traceparent)
                .containsEntry("tracestate", "vendor=1");
        assertThat(envelope().build().traceparent()).isEmpty();
        for (String malformed : new String[] {
            null,
            "",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-01"
        }) {
            assertThatThrownBy(() -> envelope().traceContext(malformed, null))
                    .isInstanceOf(InvalidEnvelopeException.class)
                    .hasMessageStartingWith("traceparent");
        }
    }

    @Test
    void priorityNamesMapOntoOneToNine() {
        assertThat(Priority.parse("low")).isEqualTo(3);
        assertThat(Priority.parse("NORMAL")).isEqualTo(5);
        assertThat(Priority.parse("high")).isEqualTo(7);
        assertThat(Priority.parse("urgent")).isEqualTo(8);
        assertThat(Priority.parse("critical")).isEqualTo(9);
        assertThat(Priority.parse("1")).isEqualTo(1);
        assertThatThrownBy(() -> Priority.parse("10"))
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageStartingWith("priority must be an integer 1-9");
        assertThatThrownBy(() -> envelope().priority(0).build()).isInstanceOf(InvalidEnvelopeException.class);
    }

    @Test
    void agentIdsFollowTheHashTagSafeRule() {
        assertThat(AgentId.of("seo_specialist.v2-1").value()).isEqualTo("seo_specialist.v2-1");
        for (String bad : new String[] {"", "-lead", "has space", "a:b", "{x}", "é", "a".repeat(65)}) {
            assertThatThrownBy(() -> AgentId.of(bad)).as(bad).isInstanceOf(InvalidEnvelopeException.class);
        }
    }

    @Test
    void payloadMustBeExactlyOneJsonObject() {
        assertThat(envelope().payload("{\"a\":[1,{\"b\":null}]}").build().payload())
                .isEqualTo("{\"a\":[1,{\"b\":null}]}");
        for (String bad : new String[] {"[]", "\"text\"", "42", "{\"a\":1} {}", "{\"a\":", ""}) {
            assertThatThrownBy(() -> envelope().payload(bad).build())
                    .as(bad)
                    .isInstanceOf(InvalidEnvelopeException.class)
                    .extracting(e -> ((InvalidEnvelopeException) e).field())
                    .isEqualTo("payload");
        }
    }

    @Test
    void payloadMapIsWrittenAsJson() {
        assertThat(envelope().payload(Map.of("n", 1)).build().payload()).isEqualTo("{\"n\":1}");
    }

    @Test
    void extensionsMayNotShadowProtocolFields() {
        assertThatThrownBy(() -> envelope().extension("priority", "9").build())
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageContaining("is a protocol field");
    }

    @Test
    void errorMessagesTruncateLongValues() {
        String huge = "x".repeat(10_000);

        assertThatThrownBy(() -> envelope().type(huge).build())
                .hasMessageContaining("(10000 chars)")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(300));
    }

    @Test
    void toBuilderKeepsEveryField() {
        Envelope original = envelope()
                .replyTo("cmo")
                .correlationId("c-1")
                .conversationId("conv-1")
                .extension("x_custom", "1")
                .priority("critical")
                .build();

        assertThat(original.toBuilder().build()).isEqualTo(original);
    }

    @Test
    void timestampKeepsMillisecondPrecision() {
        Envelope envelope = envelope()
                .timestamp(Instant.parse("2025-11-03T10:30:00.123456789Z"))
                .build();

        assertThat(envelope.timestamp()).isEqualTo(Instant.parse("2025-11-03T10:30:00.123Z"));
    }

    private static Envelope.Builder envelope() {
        return Envelope.builder().from("cmo").to("copywriter").type("task").payload("{}");
    }

    @Test
    void aRejectedValueIsShownOnOneLineWithItsControlCharactersEscaped() {
        assertThatThrownBy(() -> AgentId.of("copy\nwriter\u001b[2J"))
                .isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageContaining("'copy\\nwriter\\u001b[2J'")
                .hasMessageNotContaining("\n");
    }
}
