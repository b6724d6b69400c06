package io.agentbus.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.Delivery;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** Start-up failures that need no Redis: each must say what to fix. */
class AgentBusAutoConfigurationTest {

    private final ApplicationContextRunner context =
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AgentBusAutoConfiguration.class));

    @Test
    void withoutARedisUriTheApplicationFailsInsteadOfEmbeddingOneSilently() {
        context.run(started -> assertThat(started)
                .getFailure()
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("agentbus.redis-uri is not set")
                .hasMessageContaining("agentbus.embedded=true"));
    }

    @Test
    void aRedisUriAndEmbeddedTogetherAreRefused() {
        context.withPropertyValues("agentbus.redis-uri=redis://127.0.0.1:6379", "agentbus.embedded=true")
                .run(started -> assertThat(started).getFailure().rootCause().hasMessageContaining("both set"));
    }

    @Test
    void anOutOfRangePropertyFailsNamingIt() {
        context.withPropertyValues("agentbus.redis-uri=redis://127.0.0.1:6379", "agentbus.delivery.max-attempts=0")
                .run(started -> assertThat(started)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("maxAttempts must be >= 1, was 0"));
    }

    @Test
    void aListenerMethodWithTwoParametersFailsStartUpNamingIt() {
        context.withUserConfiguration(TwoParameterListener.class)
                .withPropertyValues("agentbus.redis-uri=redis://127.0.0.1:6379")
                .run(started -> assertThat(started)
                        .getFailure()
                        .hasStackTraceContaining("TwoParameterListener.handle")
                        .hasStackTraceContaining("must take exactly one parameter"));
    }

    @Test
    void aListenerOfAnInvalidAgentIdFailsStartUpNamingIt() {
        context.withUserConfiguration(InvalidAgentListener.class)
                .withPropertyValues("agentbus.redis-uri=redis://127.0.0.1:6379")
                .run(started -> assertThat(started)
                        .getFailure()
                        .hasStackTraceContaining("names an invalid agent")
                        .hasStackTraceContaining("agent:{x}"));
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoParameterListener {
        @AgentListener(agent = "copywriter")
        void handle(Delivery delivery, String extra) {}
    }

    @Configuration(proxyBeanMethods = false)
    static class InvalidAgentListener {
        @AgentListener(agent = "agent:{x}")
        void handle(Delivery delivery) {}
    }
}
