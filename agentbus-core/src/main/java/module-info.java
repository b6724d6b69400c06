/**
 * agentbus: a message bus on Redis for multi-agent systems. The exported packages are the public API;
 * the implementation, {@code io.agentbus.redis}, is not exported: {@link io.agentbus.AgentBus#connect}
 * reaches it inside the module.
 */
module io.agentbus {
    exports io.agentbus;
    exports io.agentbus.audit;
    exports io.agentbus.broadcast;
    exports io.agentbus.connect;
    exports io.agentbus.deadletter;
    exports io.agentbus.protocol;
    exports io.agentbus.registry;
    exports io.agentbus.swarm;

    // BusOptions takes a MeterRegistry: users of the API read Micrometer too.
    requires transitive micrometer.core;
    requires lettuce.core;
    requires reactor.core;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.handler;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    // Tracing when the OpenTelemetry API is present; the bus checks for it at run time.
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
}
