package io.agentbus.spring;

import io.agentbus.BusOptions;

/**
 * Changes the {@link BusOptions} of the auto-configured bus after the {@code agentbus.*} properties were applied:
 * for what properties cannot say, such as a {@link io.agentbus.BusListener} or signing keys. Every bean of this
 * type is applied, in {@link org.springframework.core.Ordered} order.
 */
@FunctionalInterface
public interface AgentBusOptionsCustomizer {

    void customize(BusOptions.Builder options);
}
