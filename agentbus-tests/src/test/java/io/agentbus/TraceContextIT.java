package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class TraceContextIT {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /** Any bus started earlier in this JVM fixed the global to a no-op: forget it, before and after. */
    @BeforeEach
    @AfterEach
    void forgetTheGlobalOpenTelemetry() {
        GlobalOpenTelemetry.resetForTest();
    }

    @Test
    void withoutAnSdkTheTraceContextPassesThroughSendHandlerAndReply(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("cmo");
        AgentId reviewer = freshAgent("reviewer");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, delivery -> {});
            List<Envelope> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            bus.serve(reviewer, request -> {
                seen.add(request.envelope());
                return Map.of("ok", true);
            });
            Envelope request = Envelope.builder()
                    .from(requester)
                    .to(reviewer)
                    .type("review")
                    .payload("{}")
                    .traceContext(TRACEPARENT, "vendor=1")
                    .build();

            Envelope reply = bus.request(request, Duration.ofSeconds(10))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);

            assertThat(seen).singleElement().satisfies(handled -> {
                assertThat(handled.traceparent()).contains(TRACEPARENT);
                assertThat(handled.tracestate()).contains("vendor=1");
            });
            assertThat(reply.traceparent()).contains(TRACEPARENT);
            assertThat(reply.tracestate()).contains("vendor=1");
        }
    }

    @Test
    void withAnSdkSendIsAProducerSpanAndTheHandlerRunsInALinkedConsumerSpanOfTheSameTrace(LocalRedis redis)
            throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .buildAndRegisterGlobal();
        AgentId requester = freshAgent("cmo");
        AgentId reviewer = freshAgent("reviewer");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, delivery -> {});
            bus.serve(reviewer, request -> Map.of("ok", true));
            Envelope request = Envelope.builder()
                    .from(requester)
                    .to(reviewer)
                    .type("review")
                    .payload("{}")
                    .build();

            Envelope reply = bus.request(request, Duration.ofSeconds(10))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);

            SpanData sendRequest = waitForSpan(spans, "send review");
            SpanData process = waitForSpan(spans, "process review");
            SpanData sendReply = waitForSpan(spans, "send review.reply");
            assertThat(sendRequest.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(process.getParentSpanId()).isEqualTo(sendRequest.getSpanId());
            assertThat(process.getLinks())
                    .singleElement()
                    .satisfies(link ->
                            assertThat(link.getSpanContext().getSpanId()).isEqualTo(sendRequest.getSpanId()));
            assertThat(sendReply.getParentSpanId())
                    .as("the reply is sent from inside the handler's span")
                    .isEqualTo(process.getSpanId());
            assertThat(List.of(process.getTraceId(), sendReply.getTraceId())).containsOnly(sendRequest.getTraceId());
            assertThat(reply.traceparent())
                    .hasValueSatisfying(traceparent -> assertThat(traceparent)
                            .contains(sendRequest.getTraceId())
                            .contains(sendReply.getSpanId()));
        } finally {
            sdk.close();
        }
    }

    private static SpanData waitForSpan(InMemorySpanExporter spans, String name) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> spans.getFinishedSpanItems().stream()
                        .anyMatch(span -> span.getName().equals(name)));
        return spans.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
