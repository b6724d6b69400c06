package io.agentbus.reliability;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import java.time.Duration;

/**
 * A temporary requester, as {@code agentbus request} runs one, in a JVM of its own so that a test can
 * kill it mid-request (SIGKILL: no close, nothing deleted). It subscribes the requester with
 * {@link DeliveryOptions#expireAfter}, sends one request and prints {@code READY <requester>} without
 * waiting for the reply.
 *
 * <p>Arguments: redis URI, requester id, responder id, TTL of the requester's keys (ms). Exits when
 * its standard input closes, so that it never outlives the test JVM that started it.
 */
public final class TemporaryRequesterMain {

    private TemporaryRequesterMain() {}

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        AgentId requester = AgentId.of(args[1]);
        AgentId responder = AgentId.of(args[2]);
        Duration ttl = Duration.ofMillis(Long.parseLong(args[3]));

        AgentBus bus = AgentBus.connect(uri);
        bus.subscribe(requester, DeliveryOptions.builder().expireAfter(ttl).build(), delivery -> {});
        bus.request(
                Envelope.builder()
                        .from(requester)
                        .to(responder)
                        .type("never_answered")
                        .payload("{}")
                        .build(),
                Duration.ofMinutes(1));
        System.out.println("READY " + requester);
        System.out.flush();

        while (System.in.read() != -1) {
            // nothing to read: stdin only tells us when the parent is gone
        }
        Runtime.getRuntime().halt(3);
    }
}
