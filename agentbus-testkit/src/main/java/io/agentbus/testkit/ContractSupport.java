package io.agentbus.testkit;

import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Delivery;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the parts of {@link AgentBusContract} share: waits, options, messages and helpers. */
final class ContractSupport {

    /** How long a test waits for what must happen: generous, as CI machines are shared. */
    static final Duration WAIT = Duration.ofSeconds(20);

    /** Retries within tenths of a second, and three attempts, so that dead-lettering is quick. */
    static final DeliveryOptions QUICK_RETRIES = DeliveryOptions.builder()
            .visibilityTimeout(Duration.ofSeconds(1))
            .maxAttempts(3)
            .backoff(Backoff.fixed(Duration.ofMillis(50)))
            .build();

    private ContractSupport() {}

    static MessageHandler holdFirstUntilBoth(
            CountDownLatch bothWorking, AtomicBoolean overlapped, RecordingHandler recorder) {
        AtomicBoolean firstSeen = new AtomicBoolean();
        return delivery -> {
            if (firstSeen.compareAndSet(false, true)) {
                bothWorking.countDown();
                if (bothWorking.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    overlapped.set(true);
                }
            }
            recorder.handle(delivery);
        };
    }

    static BusOptions quickRetries() {
        return BusOptions.builder().delivery(QUICK_RETRIES).build();
    }

    /** Heartbeats every 200 ms, live for 600 ms: presence changes within a second. */
    static BusOptions fastPresence() {
        return BusOptions.builder()
                .consumer(ConsumerOptions.builder()
                        .presence(Duration.ofMillis(200), Duration.ofMillis(600))
                        .build())
                .build();
    }

    static Envelope task(AgentId to, String brief) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload(Map.of("brief", brief))
                .build();
    }

    static Envelope event(String type) {
        return Envelope.builder()
                .from("coordinator")
                .to("swarm")
                .type(type)
                .payload("{}")
                .build();
    }

    static void broadcast(AgentBus bus, String channel, String type) {
        Envelope message = Envelope.builder()
                .from("cmo")
                .to("everyone")
                .type(type)
                .payload("{}")
                .build();
        bus.sync().publish(channel, message);
    }

    static Envelope topicMessage(DurableTopic topic, int n) {
        return Envelope.builder()
                .from("cmo")
                .to(topic.name())
                .type("announcement")
                .payload(Map.of("n", n))
                .build();
    }

    static Set<MessageId> publish(DurableTopic topic, int count) throws Exception {
        Set<MessageId> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            Envelope message = topicMessage(topic, i);
            topic.publish(message).toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            ids.add(message.messageId());
        }
        return ids;
    }

    static List<MessageId> ids(List<Delivery> deliveries) {
        return deliveries.stream()
                .map(delivery -> delivery.envelope().messageId())
                .toList();
    }

    static DeadLetter awaitDeadLetter(AgentBus bus, AgentId agent, MessageId id) {
        Optional<DeadLetter> dead =
                await().atMost(WAIT).until(() -> bus.deadLetters(agent).find(id.value()), Optional::isPresent);
        return dead.orElseThrow();
    }
}
