package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.KillArgs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class BroadcastIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aPatternListeningReceivesExactlyTheMatchingChannels(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<String> heard = new CopyOnWriteArrayList<>();
            bus.listen("events:content:*", (channel, message) -> heard.add(channel + " " + message.messageType()));

            publish(bus, "events:content:created", "created");
            publish(bus, "events:campaign:launched", "launched");
            publish(bus, "events:content:approved", "approved");

            await().atMost(WAIT).until(() -> heard.size() == 2);
            assertThat(heard).containsExactly("events:content:created created", "events:content:approved approved");
            assertThat(bus.broadcastStats().gaps()).isZero();
        }
    }

    @Test
    void aPublishNobodyHearsIsReportedAndCounted(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            PublishReceipt receipt = publish(bus, "events:nobody:listens", "lonely");

            assertThat(receipt.receivers()).isZero();
            assertThat(receipt.sequence()).isEqualTo(1);
            assertThat(bus.broadcastStats().unheard()).isEqualTo(1);
        }
    }

    @Test
    void aFailingHandlerNeverEndsTheListening(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<String> handled = new CopyOnWriteArrayList<>();
            bus.listen("events:flaky", (channel, message) -> {
                handled.add(message.messageType());
                if (message.messageType().equals("bad")) {
                    throw new IllegalStateException("boom");
                }
            });

            publish(bus, "events:flaky", "bad");
            publish(bus, "events:flaky", "good");

            await().atMost(WAIT).until(() -> handled.equals(List.of("bad", "good")));
        }
    }

    @Test
    void aBusHearsItsOwnBroadcastsAndEveryListeningGetsEachOne(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<String> first = new CopyOnWriteArrayList<>();
            List<String> second = new CopyOnWriteArrayList<>();
            bus.listen("events:team", (channel, message) -> first.add(message.messageType()));
            bus.listen("events:team", (channel, message) -> second.add(message.messageType()));

            PublishReceipt receipt = publish(bus, "events:team", "standup");

            assertThat(receipt.receivers()).isEqualTo(1); // one pub/sub connection per bus
            await().atMost(WAIT).until(() -> first.size() == 1 && second.size() == 1);
        }
    }

    @Test
    void aPubSubConnectionTheServerClosesIsLoggedCountedAndRestored(LocalRedis redis, RawRedis raw) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (AgentBus bus = AgentBus.connect(
                redis.uri(), BusOptions.builder().meterRegistry(registry).build())) {
            List<String> heard = new CopyOnWriteArrayList<>();
            bus.listen("events:ops", (channel, message) -> heard.add(message.messageType()));

            // What Redis does to a subscriber over its client-output-buffer-limit for pubsub.
            raw.commands().clientKill(KillArgs.Builder.typePubsub());

            await().atMost(WAIT)
                    .until(() -> registry.counter("pubsub.disconnects").count() == 1);
            await().atMost(WAIT).until(() -> {
                publish(bus, "events:ops", "after");
                return heard.contains("after");
            });
        }
    }

    static PublishReceipt publish(AgentBus bus, String channel, String type) {
        Envelope message = Envelope.builder()
                .from("cmo")
                .to("everyone")
                .type(type)
                .payload("{}")
                .build();
        return bus.publish(channel, message).toCompletableFuture().join();
    }
}
