package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.protocol.WireFields;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Tracing} with the OpenTelemetry API, following its messaging conventions: {@code send <type>}
 * is a PRODUCER span, child of the caller's current span (or of the envelope's own context when
 * there is none), and its context goes into the envelope; {@code process <type>} is a CONSUMER span,
 * child of the sender's context and linked to it, current while the handler runs, so a reply sent
 * from the handler continues the same trace. Loaded only when the API is on the classpath.
 */
final class OpenTelemetryTracing implements Tracing {

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Envelope> FROM_ENVELOPE = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Envelope envelope) {
            return List.of(WireFields.TRACEPARENT, WireFields.TRACESTATE);
        }

        @Override
        public String get(Envelope envelope, String key) {
            return envelope == null ? null : envelope.extensions().get(key);
        }
    };

    private final Tracer tracer;

    private OpenTelemetryTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Uses whatever {@link GlobalOpenTelemetry} holds when the bus starts (a no-op until an SDK is set). */
    static OpenTelemetryTracing fromGlobal() {
        return new OpenTelemetryTracing(GlobalOpenTelemetry.getTracer("io.agentbus"));
    }

    @Override
    public Sending sending(Envelope envelope) {
        Context parent = Context.current();
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            parent = W3C.extract(Context.root(), envelope, FROM_ENVELOPE);
        }
        Span span = tracer.spanBuilder("send " + envelope.messageType())
                .setSpanKind(SpanKind.PRODUCER)
                .setParent(parent)
                .setAttribute("messaging.system", "agentbus")
                .setAttribute("messaging.destination.name", envelope.toAgent().value())
                .setAttribute("messaging.message.id", envelope.messageId().value())
                .startSpan();
        Envelope traced = envelope;
        if (span.getSpanContext().isValid()) {
            Map<String, String> carrier = new HashMap<>();
            W3C.inject(parent.with(span), carrier, Map::put);
            traced = envelope.toBuilder()
                    .traceContext(carrier.get(WireFields.TRACEPARENT), carrier.get(WireFields.TRACESTATE))
                    .build();
        }
        Envelope sent = traced;
        return new Sending() {
            @Override
            public Envelope envelope() {
                return sent;
            }

            @Override
            public void ended(Throwable failure) {
                if (failure != null) {
                    span.recordException(failure);
                    span.setStatus(StatusCode.ERROR);
                }
                span.end();
            }
        };
    }

    @Override
    public Handling handling(AgentId agent, Envelope envelope) {
        Context sender = W3C.extract(Context.root(), envelope, FROM_ENVELOPE);
        SpanBuilder builder = tracer.spanBuilder("process " + envelope.messageType())
                .setSpanKind(SpanKind.CONSUMER)
                .setParent(sender)
                .setAttribute("messaging.system", "agentbus")
                .setAttribute("messaging.destination.name", agent.value())
                .setAttribute("messaging.message.id", envelope.messageId().value());
        SpanContext link = Span.fromContext(sender).getSpanContext();
        if (link.isValid()) {
            builder.addLink(link);
        }
        Span span = builder.startSpan();
        Scope scope = span.makeCurrent();
        return new Handling() {
            @Override
            public void failed(Throwable failure) {
                span.recordException(failure);
                span.setStatus(StatusCode.ERROR);
            }

            @Override
            public void close() {
                scope.close();
                span.end();
            }
        };
    }
}
