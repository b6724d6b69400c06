package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.holdFirstUntilBoth;
import static io.agentbus.testkit.ContractSupport.ids;
import static io.agentbus.testkit.ContractSupport.publish;
import static io.agentbus.testkit.ContractSupport.quickRetries;
import static io.agentbus.testkit.ContractSupport.topicMessage;
import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: durable topics: every subscriber group gets every message, the instances of one group compete. */
interface DurableTopicContract extends ContractBuses {

    @Test
    default void everySubscriberGroupOfADurableTopicReceivesEveryMessage() throws Exception {
        AgentBus bus = bus();
        DurableTopic topic = bus.topic(freshName("content-created"));
        RecordingHandler seo = RecordingHandler.acking();
        RecordingHandler social = RecordingHandler.acking();
        topic.subscribe(freshAgent("seo"), DurableTopic.StartFrom.NOW, seo);
        topic.subscribe(freshAgent("social"), DurableTopic.StartFrom.NOW, social);

        Set<MessageId> published = publish(topic, 20);

        assertThat(ids(seo.await(20, WAIT))).containsExactlyInAnyOrderElementsOf(published);
        assertThat(ids(social.await(20, WAIT))).containsExactlyInAnyOrderElementsOf(published);
    }

    @Test
    default void aSubscriberGroupOfflineDuringPublishesReceivesThemWhenItReturns() throws Exception {
        AgentBus bus = bus();
        DurableTopic topic = bus.topic(freshName("campaigns"));
        AgentId analytics = freshAgent("analytics");
        topic.subscribe(analytics, DurableTopic.StartFrom.NOW, RecordingHandler.acking())
                .close();

        Set<MessageId> published = publish(topic, 10);
        RecordingHandler returning = RecordingHandler.acking();
        topic.subscribe(analytics, DurableTopic.StartFrom.NOW, returning);

        assertThat(ids(returning.await(10, WAIT))).containsExactlyInAnyOrderElementsOf(published);
        assertThat(topic.publish(topicMessage(topic, 0).toBuilder()
                                .messageId(published.iterator().next())
                                .build())
                        .toCompletableFuture()
                        .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .duplicate())
                .isTrue();
    }

    @Test
    default void instancesOfOneSubscriberGroupCompeteForATopicsMessages() throws Exception {
        BusOptions oneAtATime = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        String name = freshName("briefs");
        AgentId writers = freshAgent("writers");
        DurableTopic first = bus(oneAtATime).topic(name);
        DurableTopic second = bus(oneAtATime).topic(name);
        CountDownLatch bothWorking = new CountDownLatch(2);
        AtomicBoolean overlapped = new AtomicBoolean();
        RecordingHandler one = RecordingHandler.acking();
        RecordingHandler two = RecordingHandler.acking();
        first.subscribe(writers, DurableTopic.StartFrom.NOW, holdFirstUntilBoth(bothWorking, overlapped, one));
        second.subscribe(writers, DurableTopic.StartFrom.NOW, holdFirstUntilBoth(bothWorking, overlapped, two));

        Set<MessageId> published = publish(first, 20);

        await().atMost(WAIT)
                .until(() -> one.deliveries().size() + two.deliveries().size() >= 20);
        assertThat(overlapped).as("both instances held a message at once").isTrue();
        List<MessageId> received = new ArrayList<>(ids(one.deliveries()));
        received.addAll(ids(two.deliveries()));
        assertThat(received).containsExactlyInAnyOrderElementsOf(published);
    }

    @Test
    default void aNewSubscriberGroupStartsFromNowOrFromTheOldestMessage() throws Exception {
        DurableTopic topic = bus().topic(freshName("archive"));
        Set<MessageId> before = publish(topic, 3);
        RecordingHandler fromNow = RecordingHandler.acking();
        RecordingHandler fromOldest = RecordingHandler.acking();
        topic.subscribe(freshAgent("late"), DurableTopic.StartFrom.NOW, fromNow);
        topic.subscribe(freshAgent("archivist"), DurableTopic.StartFrom.OLDEST, fromOldest);

        Set<MessageId> after = publish(topic, 2);

        Set<MessageId> all = new HashSet<>(before);
        all.addAll(after);
        assertThat(ids(fromOldest.await(5, WAIT))).containsExactlyInAnyOrderElementsOf(all);
        assertThat(ids(fromNow.await(2, WAIT))).containsExactlyInAnyOrderElementsOf(after);
    }

    @Test
    default void aSubscriberGroupsFailuresAreDeadLetteredAndRedrivenLikeAnInbox() throws Exception {
        DurableTopic topic = bus(quickRetries()).topic(freshName("approvals"));
        AgentId legal = freshAgent("legal");
        AtomicBoolean refusing = new AtomicBoolean(true);
        RecordingHandler accepted = RecordingHandler.acking();
        topic.subscribe(legal, DurableTopic.StartFrom.NOW, delivery -> {
            if (refusing.get()) {
                throw new NonRetryableException("not our jurisdiction");
            }
            accepted.handle(delivery);
        });

        MessageId id = publish(topic, 1).iterator().next();

        await().atMost(WAIT).until(() -> topic.deadLetters(legal).count() == 1);
        DeadLetter dead = topic.deadLetters(legal).find(id.value()).orElseThrow();
        assertThat(dead.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
        assertThat(dead.detail()).contains("not our jurisdiction");
        refusing.set(false);
        assertThat(topic.deadLetters(legal).redrive(List.of(dead.id()))).isEqualTo(1);
        assertThat(ids(accepted.await(1, WAIT))).containsExactly(id);
    }
}
