package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.Envelope;

/**
 * Trace context across a send and the handling of the message. The context travels in the
 * envelope's W3C {@code traceparent}/{@code tracestate} fields (docs/PROTOCOL.md). With the
 * OpenTelemetry API on the classpath ({@link OpenTelemetryTracing}) a send is a producer span and a
 * handler runs inside a consumer span, child of and linked to it; without it the fields pass through.
 */
interface Tracing {

    /** Starts tracing the send of {@code envelope}; the returned envelope carries the send's context. */
    Sending sending(Envelope envelope);

    /** Starts the span the handler of {@code agent} runs in, current until {@link Handling#close()}. */
    Handling handling(AgentId agent, Envelope envelope);

    /** A send in progress. */
    interface Sending {
        Envelope envelope();

        /** The send completed ({@code failure} null) or failed. */
        void ended(Throwable failure);
    }

    /** A handler run in progress, on the handler's thread. */
    interface Handling extends AutoCloseable {
        void failed(Throwable failure);

        @Override
        void close();
    }

    /** Leaves the envelope's trace fields as they are. */
    Tracing PASS_THROUGH = new Tracing() {
        private static final Handling NOTHING = new Handling() {
            @Override
            public void failed(Throwable failure) {}

            @Override
            public void close() {}
        };

        @Override
        public Sending sending(Envelope envelope) {
            return new Sending() {
                @Override
                public Envelope envelope() {
                    return envelope;
                }

                @Override
                public void ended(Throwable failure) {}
            };
        }

        @Override
        public Handling handling(AgentId agent, Envelope envelope) {
            return NOTHING;
        }
    };
}
