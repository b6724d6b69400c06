package io.agentbus;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class DurableTopicIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void everyGroupReceivesEveryMessageAndInstancesOfAGroupCompete(LocalRedis redis) throws Exception {
        // A small prefetch, so that one instance cannot take the whole burst before the other reads.
        try (AgentBus bus = AgentBus.connect(
                redis.uri(),
                BusOptions.builder()
                        .consumer(ConsumerOptions.builder()
                                .prefetch(10)
                                .readBatchSize(10)
                                .build())
                        .build())) {
            DurableTopic topic = bus.topic(freshName("content-created"));
            RecordingHandler seo = RecordingHandler.acking();
            RecordingHandler socialOne = RecordingHandler.acking();
            RecordingHandler socialTwo = RecordingHandler.acking();
            topic.subscribe(AgentId.of("seo_specialist"), DurableTopic.StartFrom.NOW, seo);
            topic.subscribe(AgentId.of("social_media_manager"), DurableTopic.StartFrom.NOW, socialOne);
            topic.subscribe(AgentId.of("social_media_manager"), DurableTopic.StartFrom.NOW, socialTwo);

            Set<MessageId> published = publish(topic, 300);

            assertThat(ids(seo.await(300, WAIT))).containsExactlyInAnyOrderElementsOf(published);
            await().atMost(WAIT)
                    .until(() -> socialOne.deliveries().size()
                                    + socialTwo.deliveries().size()
                            == 300);
            Set<MessageId> social = new HashSet<>(ids(socialOne.deliveries()));
            social.addAll(ids(socialTwo.deliveries()));
            assertThat(social).isEqualTo(published);
            assertThat(socialOne.deliveries()).isNotEmpty();
            assertThat(socialTwo.deliveries()).isNotEmpty();
        }
    }

    @Test
    void aGroupOfflineDuringPublishesReceivesThemAllWhenItReturns(LocalRedis redis) throws Exception {
        String name = freshName("campaigns");
        AgentId analytics = AgentId.of("data_analyst");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            DurableTopic topic = bus.topic(name);
            topic.subscribe(analytics, DurableTopic.StartFrom.NOW, RecordingHandler.acking())
                    .close();

            Set<MessageId> published = publish(topic, 500);

            RecordingHandler returning = RecordingHandler.acking();
            topic.subscribe(analytics, DurableTopic.StartFrom.NOW, returning);
            List<Delivery> received = returning.await(500, WAIT);
            assertThat(ids(received)).containsExactlyInAnyOrderElementsOf(published);
        }
    }

    @Test
    void aNewGroupStartsFromNowOrFromTheOldestEntry(LocalRedis redis) throws Exception {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            DurableTopic topic = bus.topic(freshName("briefs"));
            Set<MessageId> before = publish(topic, 3);
            RecordingHandler fromNow = RecordingHandler.acking();
            RecordingHandler fromOldest = RecordingHandler.acking();
            topic.subscribe(AgentId.of("late"), DurableTopic.StartFrom.NOW, fromNow);
            topic.subscribe(AgentId.of("archivist"), DurableTopic.StartFrom.OLDEST, fromOldest);

            Set<MessageId> after = publish(topic, 2);

            assertThat(ids(fromNow.await(2, WAIT))).containsExactlyInAnyOrderElementsOf(after);
            Set<MessageId> all = new HashSet<>(before);
            all.addAll(after);
            assertThat(ids(fromOldest.await(5, WAIT))).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    @Test
    void retentionNeverRemovesWhatAGroupHasNotReceived(LocalRedis redis) throws Exception {
        String name = freshName("drafts");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            DurableTopic topic = bus.topic(name, Retention.maxLength(10));
            RecordingHandler reader = RecordingHandler.acking();
            topic.subscribe(AgentId.of("fast"), DurableTopic.StartFrom.OLDEST, reader);
            topic.subscribe(AgentId.of("offline"), DurableTopic.StartFrom.OLDEST, RecordingHandler.acking())
                    .close();
            publish(topic, 50);
            reader.await(50, WAIT);

            long removedWhileBehind = topic.trim();

            assertThat(removedWhileBehind).isZero();
            assertThat(xlen(redis, name)).isEqualTo(50);

            RecordingHandler catchingUp = RecordingHandler.acking();
            topic.subscribe(AgentId.of("offline"), DurableTopic.StartFrom.OLDEST, catchingUp);
            catchingUp.await(50, WAIT);
            await().atMost(WAIT).until(() -> {
                topic.trim();
                return xlen(redis, name) == 10;
            });
        }
    }

    @Test
    void failuresOfAGroupAreRetriedAndDeadLetteredLikeAnInbox(LocalRedis redis) throws Exception {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            DurableTopic topic = bus.topic(freshName("approvals"));
            AgentId group = AgentId.of("legal");
            topic.subscribe(group, DurableTopic.StartFrom.NOW, delivery -> {
                throw new NonRetryableException("not our jurisdiction");
            });

            MessageId id = publish(topic, 1).iterator().next();

            await().atMost(WAIT).until(() -> topic.deadLetters(group).count() == 1);
            DeadLetter dead = topic.deadLetters(group).find(id.value()).orElseThrow();
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
            assertThat(dead.detail()).contains("not our jurisdiction");
            assertThat(topic.deadLetters(group).redrive(List.of(dead.id()))).isEqualTo(1);
        }
    }

    @Test
    void aResentMessageIdIsStoredOnce(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            String name = freshName("dedup");
            DurableTopic topic = bus.topic(name);
            Envelope message = Envelope.builder()
                    .from("cmo")
                    .to(name)
                    .type("announcement")
                    .payload("{}")
                    .build();

            boolean first = topic.publish(message).toCompletableFuture().join().duplicate();
            boolean second = topic.publish(message).toCompletableFuture().join().duplicate();

            assertThat(first).isFalse();
            assertThat(second).isTrue();
            assertThat(xlen(redis, name)).isEqualTo(1);
        }
    }

    static Set<MessageId> publish(DurableTopic topic, int count) {
        Set<MessageId> ids = new HashSet<>();
        CompletableFuture<?>[] sends = new CompletableFuture[count];
        for (int i = 0; i < count; i++) {
            Envelope message = Envelope.builder()
                    .from("cmo")
                    .to(topic.name())
                    .type("announcement")
                    .payload(Map.of("n", i))
                    .build();
            ids.add(message.messageId());
            sends[i] = topic.publish(message).toCompletableFuture();
        }
        CompletableFuture.allOf(sends).join();
        return ids;
    }

    static List<MessageId> ids(List<Delivery> deliveries) {
        return deliveries.stream()
                .map(delivery -> delivery.envelope().messageId())
                .toList();
    }

    private static long xlen(LocalRedis redis, String topic) {
        try (RawRedis raw = RawRedis.connect(redis)) {
            return raw.commands().xlen("topic:{" + topic + "}");
        }
    }
}
