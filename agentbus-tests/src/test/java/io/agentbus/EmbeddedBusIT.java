package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.testkit.RecordingHandler;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EmbeddedBusIT {

    @Test
    void embeddedBusDeliversAndStopsItsServerOnClose() throws Exception {
        String uri;
        try (AgentBus bus = AgentBus.embedded()) {
            uri = bus.redisUri();
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(AgentId.of("cmo"), handler);

            bus.sync()
                    .send(Envelope.builder()
                            .from("ceo")
                            .to("cmo")
                            .type("kickoff")
                            .payload("{}")
                            .build());

            assertThat(handler.await(1, Duration.ofSeconds(10))).hasSize(1);
        }
        BusOptions quick = BusOptions.builder()
                .connection(ConnectionOptions.builder()
                        .connectTimeout(Duration.ofSeconds(1))
                        .build())
                .build();
        assertThatThrownBy(() -> AgentBus.connect(uri, quick)).isInstanceOf(BusUnavailableException.class);
    }
}
