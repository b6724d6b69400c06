package io.agentbus.examples.spring;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.spring.AgentListener;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The copywriter agent: each brief in its inbox becomes a draft sent to the editor's inbox. Returning acks the
 * brief; an exception would have it delivered again, then dead-lettered.
 */
@Component
public class Copywriter {

    private final AgentBus bus;

    public Copywriter(AgentBus bus) {
        this.bus = bus;
    }

    @AgentListener(agent = "copywriter")
    public void write(Brief brief) {
        String draft = "A " + brief.words() + "-word post on " + brief.topic() + ".";
        bus.sync()
                .send(Envelope.builder()
                        .from("copywriter")
                        .to("editor")
                        .type("draft")
                        .payload(Map.of("topic", brief.topic(), "text", draft))
                        .build());
    }
}
