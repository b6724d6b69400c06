package io.agentbus.spring;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code agentbus} health indicator ({@link AgentBusHealthIndicator}), when the application has Actuator;
 * {@code management.health.agentbus.enabled=false} turns it off.
 */
@AutoConfiguration(after = AgentBusAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(AgentBus.class)
@ConditionalOnEnabledHealthIndicator("agentbus")
public class AgentBusHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "agentbusHealthIndicator")
    public AgentBusHealthIndicator agentbusHealthIndicator(AgentBus bus, BusOptions options, AgentListeners listeners) {
        return new AgentBusHealthIndicator(
                bus, listeners::agents, options.delivery().visibilityTimeout());
    }
}
