package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's Java example, line for line (printing replaced by recording), so the README stays true. */
@ExtendWith(RedisServerExtension.class)
class ReadmeExamplesIT {

    @Test
    void readmeExampleDeliversTheTaskToOneCopywriter(LocalRedis redis) {
        List<String> printed = new CopyOnWriteArrayList<>();
        InboxStats inbox;
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            MessageHandler write = delivery -> {
                Envelope task = delivery.envelope();
                printed.add(task.fromAgent() + " asks " + task.messageType() + ": " + task.payload());
            };
            bus.subscribe(AgentId.of("copywriter"), write);
            bus.subscribe(AgentId.of("copywriter"), write);

            Envelope task = Envelope.builder()
                    .from("content_manager")
                    .to("copywriter")
                    .type("task_assignment")
                    .payload(Map.of("brief", "launch post", "words", 300))
                    .priority(Priority.HIGH)
                    .build();
            SendReceipt receipt = bus.sync().send(task);
            assertThat(receipt.messageId()).isEqualTo(task.messageId());

            // Both instances register as consumers with their first read, which may come after the send.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> printed.size() == 1
                            && bus.sync().inbox(AgentId.of("copywriter")).pending() == 0
                            && bus.sync()
                                            .inbox(AgentId.of("copywriter"))
                                            .consumers()
                                            .size()
                                    == 2);
            inbox = bus.sync().inbox(AgentId.of("copywriter"));
        }

        assertThat(printed)
                .singleElement()
                .asString()
                .startsWith("content_manager asks task_assignment: {")
                .contains("\"brief\":\"launch post\"");
        assertThat(inbox.length()).isEqualTo(1);
        assertThat(inbox.consumers()).hasSize(2);
    }
}
