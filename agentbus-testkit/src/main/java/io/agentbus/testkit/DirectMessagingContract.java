package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.awaitDeadLetter;
import static io.agentbus.testkit.ContractSupport.holdFirstUntilBoth;
import static io.agentbus.testkit.ContractSupport.ids;
import static io.agentbus.testkit.ContractSupport.task;
import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.InboxEnd;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import io.agentbus.PendingEntry;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.StoredEntry;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: direct messages to an agent's inbox: handling and acks, competing instances, dedup, peek and pending entries, priorities, delayed and expired messages. */
interface DirectMessagingContract extends ContractBuses {

    // Direct messages

    @Test
    default void aSentMessageIsHandledOnceAndAcked() throws Exception {
        AgentId worker = freshAgent("worker");
        AgentBus bus = bus();
        RecordingHandler handler = RecordingHandler.acking();
        bus.subscribe(worker, handler);

        Envelope message = task(worker, "launch post");
        SendReceipt receipt = bus.sync().send(message);

        Delivery delivery = handler.await(1, WAIT).get(0);
        assertThat(receipt.messageId()).isEqualTo(message.messageId());
        assertThat(receipt.to()).isEqualTo(worker);
        assertThat(receipt.duplicate()).isFalse();
        assertThat(delivery.envelope()).isEqualTo(message);
        assertThat(delivery.attempt()).isEqualTo(1);
        assertThat(delivery.entryId()).isEqualTo(receipt.entryId());
        await().atMost(WAIT).until(() -> bus.sync().inbox(worker).pending() == 0);
        assertThat(bus.sync().inbox(worker).counters().acked()).isEqualTo(1);
        assertThat(handler.timesSeen()).containsExactly(Map.entry(message.messageId(), 1));
    }

    @Test
    default void twoInstancesOfAnAgentShareItsMessagesAndEachIsHandledOnce() throws Exception {
        AgentId worker = freshAgent("worker");
        // One message at a time per instance, so that a busy instance leaves the rest to the other.
        BusOptions oneAtATime = BusOptions.builder()
                .consumer(ConsumerOptions.builder().prefetch(1).readBatchSize(1).build())
                .build();
        AgentBus first = bus(oneAtATime);
        AgentBus second = bus(oneAtATime);
        Set<MessageId> sent = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            sent.add(first.sync().send(task(worker, "n" + i)).messageId());
        }
        // Each instance holds its first message until the other has one too: both must get work.
        CountDownLatch bothWorking = new CountDownLatch(2);
        AtomicBoolean overlapped = new AtomicBoolean();
        RecordingHandler one = RecordingHandler.acking();
        RecordingHandler two = RecordingHandler.acking();

        first.subscribe(worker, holdFirstUntilBoth(bothWorking, overlapped, one));
        second.subscribe(worker, holdFirstUntilBoth(bothWorking, overlapped, two));

        await().atMost(WAIT)
                .until(() -> one.deliveries().size() + two.deliveries().size() >= sent.size());
        assertThat(overlapped).as("both instances held a message at once").isTrue();
        Map<MessageId, Integer> seen = new HashMap<>(one.timesSeen());
        two.timesSeen().forEach((id, times) -> seen.merge(id, times, Integer::sum));
        assertThat(seen.keySet()).isEqualTo(sent);
        assertThat(seen.values()).containsOnly(1);
        assertThat(one.deliveries()).isNotEmpty();
        assertThat(two.deliveries()).isNotEmpty();
        await().atMost(WAIT).until(() -> first.sync().inbox(worker).pending() == 0);
    }

    // Deduplication

    @Test
    default void aMessageSentTwiceIsStoredAndDeliveredOnce() throws Exception {
        AgentId worker = freshAgent("worker");
        AgentBus bus = bus();
        Envelope message = task(worker, "once");

        SendReceipt first = bus.sync().send(message);
        SendReceipt second = bus.sync().send(message);
        RecordingHandler handler = RecordingHandler.acking();
        bus.subscribe(worker, handler);
        // Sent after the duplicate: once it arrives, a stored duplicate would have arrived before it.
        Envelope marker = task(worker, "after");
        bus.sync().send(marker);

        assertThat(first.duplicate()).isFalse();
        assertThat(second.duplicate()).isTrue();
        assertThat(second.entryId()).isEqualTo(first.entryId());
        assertThat(handler.await(2, WAIT)).extracting(Delivery::envelope).containsExactly(message, marker);
        assertThat(bus.sync().inbox(worker).counters().deduplicated()).isEqualTo(1);
    }

    @Test
    default void theIdempotentHelperRunsAHandlerOnceForAMessageStoredTwice() {
        AgentId worker = freshAgent("worker");
        AgentBus bus = bus(BusOptions.builder()
                .send(SendOptions.builder().dedupWindow(Duration.ofMillis(100)).build())
                .build());
        AtomicInteger deliveries = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        MessageHandler once = bus.idempotent(delivery -> runs.incrementAndGet(), Duration.ofMinutes(1));
        bus.subscribe(worker, delivery -> {
            once.handle(delivery);
            deliveries.incrementAndGet();
        });
        Envelope message = task(worker, "charge the card");

        bus.sync().send(message);
        // Once the dedup window has passed, the same message id is stored a second time.
        await().atMost(WAIT).until(() -> !bus.sync().send(message).duplicate());

        await().atMost(WAIT)
                .until(() -> deliveries.get() == 2 && bus.sync().inbox(worker).pending() == 0);
        assertThat(runs.get()).isEqualTo(1);
    }

    // Looking into an inbox

    @Test
    default void peekShowsSentMessagesUnreadAndTakesNone() throws Exception {
        AgentId agent = freshAgent("peeked");
        AgentBus bus = bus();
        List<MessageId> sent = new ArrayList<>();
        for (int priority : new int[] {2, 5, 8}) {
            Envelope message =
                    task(agent, "p" + priority).toBuilder().priority(priority).build();
            sent.add(bus.sync().send(message).messageId());
        }

        List<StoredEntry> oldest = bus.sync().peek(agent, InboxEnd.OLDEST, 10);
        List<StoredEntry> newest = bus.sync().peek(agent, InboxEnd.NEWEST, 2);

        assertThat(oldest)
                .extracting(entry -> entry.fields().get(WireFields.MESSAGE_ID))
                .containsExactly(
                        sent.get(0).value(), sent.get(1).value(), sent.get(2).value());
        assertThat(oldest)
                .extracting(StoredEntry::stream)
                .containsExactly(KeySchema.inbox(agent, 2), KeySchema.inbox(agent, 5), KeySchema.inbox(agent, 8));
        assertThat(oldest).allMatch(StoredEntry::unread);
        assertThat(oldest.get(0).fields())
                .containsEntry(WireFields.PAYLOAD, task(agent, "p2").payload());
        assertThat(newest)
                .extracting(entry -> entry.fields().get(WireFields.MESSAGE_ID))
                .containsExactly(sent.get(2).value(), sent.get(1).value());
        assertThat(bus.sync().inbox(agent).groupExists()).isFalse();
        RecordingHandler handler = RecordingHandler.acking();
        bus.subscribe(agent, handler);
        assertThat(ids(handler.await(3, WAIT))).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(bus.sync().peek(agent, InboxEnd.OLDEST, 10)).noneMatch(StoredEntry::unread);
    }

    @Test
    default void pendingEntriesShowAHeldMessageWithTheInstanceHoldingIt() throws Exception {
        AgentId agent = freshAgent("holding");
        AgentBus bus = bus();
        CountDownLatch received = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        bus.subscribe(agent, delivery -> {
            received.countDown();
            release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        });

        SendReceipt receipt = bus.sync().send(task(agent, "hold it"));
        assertThat(received.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        List<PendingEntry> pending = bus.sync().pendingEntries(agent, 10);

        assertThat(pending).singleElement().satisfies(entry -> {
            assertThat(entry.entryId()).isEqualTo(receipt.entryId());
            assertThat(entry.stream()).isEqualTo(KeySchema.inbox(agent, 5));
            assertThat(entry.consumer())
                    .isEqualTo(bus.sync().inbox(agent).consumers().get(0).name());
            assertThat(entry.deliveries()).isEqualTo(1);
            assertThat(entry.idle()).isBetween(Duration.ZERO, WAIT);
        });
        assertThat(bus.sync().peek(agent, InboxEnd.NEWEST, 1)).singleElement().matches(entry -> !entry.unread());
        release.countDown();
        await().atMost(WAIT).until(() -> bus.sync().pendingEntries(agent, 10).isEmpty());
    }

    @Test
    default void peekAndPendingEntriesRefuseALimitOutsideOneToTheMaximum() {
        AgentId agent = freshAgent("peeked");
        AgentBus bus = bus();

        assertThatThrownBy(() -> bus.peek(agent, InboxEnd.NEWEST, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be 1 to 1000, was 0");
        assertThatThrownBy(() -> bus.pendingEntries(agent, AgentBus.MAX_PEEK_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be 1 to 1000, was 1001");
        assertThat(bus.sync().peek(agent, InboxEnd.OLDEST, AgentBus.MAX_PEEK_LIMIT))
                .isEmpty();
        assertThat(bus.sync().pendingEntries(agent, 1)).isEmpty();
    }

    // Priorities

    @Test
    default void queuedMessagesOfAHigherPriorityAreHandledFirstAndEachPriorityKeepsItsOrder() throws Exception {
        AgentId agent = freshAgent("backlogged");
        AgentBus bus = bus();
        for (int n = 1; n <= 3; n++) {
            for (int priority : new int[] {2, 5, 8}) {
                bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("p" + priority + "-" + n)
                                .payload("{}")
                                .priority(priority)
                                .build());
            }
        }
        RecordingHandler handler = RecordingHandler.acking();

        bus.subscribe(agent, handler);

        assertThat(handler.await(9, WAIT))
                .extracting(delivery -> delivery.envelope().messageType())
                .containsExactly("p8-1", "p8-2", "p8-3", "p5-1", "p5-2", "p5-3", "p2-1", "p2-2", "p2-3");
    }

    // Delayed delivery and expiry

    @Test
    default void aDelayedMessageArrivesAtItsTimeAndNotBefore() throws Exception {
        AgentId agent = freshAgent("patient");
        AgentBus bus = bus();
        RecordingHandler handler = RecordingHandler.acking();
        bus.subscribe(agent, handler);
        Envelope reminder = task(agent, "remind me");
        Instant due = Instant.now().plusMillis(2000);

        SendReceipt receipt = bus.sync().send(reminder, due);

        assertThat(receipt.duplicate()).isFalse();
        assertThat(bus.sync().inbox(agent).delayed()).isEqualTo(1);
        Delivery delivery = handler.await(1, WAIT).get(0);
        assertThat(delivery.envelope()).isEqualTo(reminder);
        // The due time is checked on the server's clock, read to the millisecond: allow that much skew.
        assertThat(delivery.receivedAt()).isAfterOrEqualTo(due.minusMillis(50));
        assertThat(bus.sync().send(reminder, Duration.ofSeconds(1)).duplicate()).isTrue();
        assertThat(bus.sync().inbox(agent).delayed()).isZero();
    }

    @Test
    default void anExpiredMessageIsDeadLetteredInsteadOfHandled() throws Exception {
        AgentId agent = freshAgent("expiring");
        AgentBus bus = bus();
        Envelope stale = Envelope.builder()
                .from("cmo")
                .to(agent)
                .type("offer")
                .payload("{}")
                .timestamp(Instant.now().minusSeconds(60))
                .ttl(Duration.ofSeconds(30))
                .build();
        Envelope fresh = stale.toBuilder()
                .messageId(MessageId.random())
                .timestamp(Instant.now())
                .ttl(Duration.ofMinutes(5))
                .build();
        bus.sync().send(stale);
        bus.sync().send(fresh);
        RecordingHandler handler = RecordingHandler.acking();

        bus.subscribe(agent, handler);

        assertThat(handler.await(1, WAIT).get(0).envelope()).isEqualTo(fresh);
        DeadLetter dead = awaitDeadLetter(bus, agent, stale.messageId());
        assertThat(dead.reason()).isEqualTo(DeadLetterReason.EXPIRED);
        assertThat(handler.deliveries()).hasSize(1);
        assertThat(bus.sync().inbox(agent).counters().expired()).isEqualTo(1);
    }
}
