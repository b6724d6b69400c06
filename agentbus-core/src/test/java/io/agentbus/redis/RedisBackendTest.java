package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentBus;
import org.junit.jupiter.api.Test;

class RedisBackendTest {

    @Test
    void embeddedWithoutTheEmbeddedArtifactFailsNamingTheArtifactToAdd() {
        // given: agentbus-core's own test classpath, which has no agentbus-embedded

        // when / then
        assertThatThrownBy(AgentBus::embedded)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.agentbus:agentbus-embedded");
    }
}
