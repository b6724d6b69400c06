package io.agentbus.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application on a real redis-server of the testkit: a brief goes in, the editor gets the draft. */
@SpringBootTest
@ExtendWith(RedisServerExtension.class)
class ContentDeskApplicationIT {

    private static LocalRedis redis;

    @BeforeAll
    static void redis(LocalRedis server) {
        redis = server; // started by the extension before the application context, which reads its URI
    }

    @DynamicPropertySource
    static void redisUri(DynamicPropertyRegistry properties) {
        properties.add("agentbus.redis-uri", () -> redis.uri());
    }

    @Autowired
    AgentBus bus;

    @Autowired
    HealthEndpoint health;

    @Test
    void aBriefSentToTheCopywriterComesBackToTheEditorAsADraft() throws Exception {
        RecordingHandler editor = RecordingHandler.acking();
        bus.subscribe(AgentId.of("editor"), editor);

        bus.sync()
                .send(Envelope.builder()
                        .from("content_manager")
                        .to("copywriter")
                        .type("brief")
                        .payload(Map.of("topic", "the launch", "words", 300))
                        .build());

        Envelope draft = editor.await(1, Duration.ofSeconds(10)).get(0).envelope();
        JsonNode payload = new ObjectMapper().readTree(draft.payload());
        assertThat(draft.fromAgent()).isEqualTo(AgentId.of("copywriter"));
        assertThat(draft.messageType()).isEqualTo("draft");
        assertThat(payload.get("text").asText()).isEqualTo("A 300-word post on the launch.");
        assertThat(health.healthForPath("agentbus").getStatus()).isEqualTo(Status.UP);
    }
}
