package io.agentbus.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.util.StringUtils;

/**
 * One {@link AgentBus} bean from the {@code agentbus.*} properties ({@link AgentBusProperties}), and the
 * {@link AgentListener} methods subscribed on it. The bus registers its meters in the application's
 * {@link MeterRegistry} when there is exactly one (Actuator's); without one, in Micrometer's global registry.
 * An application that defines its own {@code AgentBus} or {@code BusOptions} bean keeps it.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration"
        })
@EnableConfigurationProperties(AgentBusProperties.class)
public class AgentBusAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public BusOptions agentBusOptions(
            AgentBusProperties properties,
            ObjectProvider<MeterRegistry> meterRegistry,
            ObjectProvider<AgentBusOptionsCustomizer> customizers) {
        BusOptions.Builder options;
        try {
            options = properties.toBusOptions();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("invalid agentbus.* properties: " + e.getMessage(), e);
        }
        meterRegistry.ifUnique(options::meterRegistry);
        customizers.orderedStream().forEach(customizer -> customizer.customize(options));
        return options.build();
    }

    /**
     * Connects to {@code agentbus.redis-uri}, or starts a private Redis when {@code agentbus.embedded} is true.
     * Closed when the context closes, after the {@link AgentListener} methods have stopped.
     *
     * @throws IllegalStateException if neither or both are set: a bus never silently falls back to a private
     *                               Redis whose messages would vanish with the application
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public AgentBus agentBus(AgentBusProperties properties, BusOptions options) {
        boolean hasUri = StringUtils.hasText(properties.getRedisUri());
        if (hasUri && properties.isEmbedded()) {
            throw new IllegalStateException("agentbus.redis-uri (" + properties.getRedisUri()
                    + ") and agentbus.embedded=true are both set: set one");
        }
        if (properties.isEmbedded()) {
            return AgentBus.embedded(options);
        }
        if (!hasUri) {
            throw new IllegalStateException("agentbus.redis-uri is not set: set it to the Redis the bus should use"
                    + " (redis://host:6379, rediss://, redis-sentinel://h1:26379,h2:26379#master or"
                    + " redis-cluster://h1:7000,h2:7001), or set agentbus.embedded=true for a private Redis"
                    + " that lives and dies with the application (needs io.agentbus:agentbus-embedded)");
        }
        return AgentBus.connect(properties.getRedisUri(), options);
    }

    /** Static: a bean post-processor is created before the configuration class's other beans. */
    @Bean
    static AgentListeners agentListeners(ObjectProvider<AgentBus> bus, ObjectProvider<ObjectMapper> objectMapper) {
        return new AgentListeners(bus, objectMapper);
    }
}
