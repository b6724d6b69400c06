package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.awaitDeadLetter;
import static io.agentbus.testkit.ContractSupport.ids;
import static io.agentbus.testkit.ContractSupport.quickRetries;
import static io.agentbus.testkit.ContractSupport.task;
import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.deadletter.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: failed deliveries: retries, the delivery verbs, dead letters with their reasons, redrive and purge. */
interface RetriesAndDeadLettersContract extends ContractBuses {

    @Test
    default void aHandlerThatFailsTwiceThenSucceedsSeesAttemptsOneTwoThreeAndIsAcked() {
        AgentId flaky = freshAgent("flaky");
        AgentBus bus = bus(quickRetries());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        bus.subscribe(flaky, delivery -> {
            attempts.add(delivery.attempt());
            if (delivery.attempt() < 3) {
                throw new IllegalStateException("transient failure " + delivery.attempt());
            }
        });

        bus.sync().send(task(flaky, "retry me"));

        await().atMost(WAIT)
                .until(() -> attempts.size() == 3 && bus.sync().inbox(flaky).pending() == 0);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(bus.deadLetters(flaky).count()).isZero();
        assertThat(bus.sync().inbox(flaky).counters().acked()).isEqualTo(1);
    }

    @Test
    default void retryInRedeliversAfterTheDelayAsTheNextAttempt() {
        AgentId patient = freshAgent("patient");
        Duration delay = Duration.ofMillis(300);
        AgentBus bus = bus(quickRetries());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<Instant> seenAt = new CopyOnWriteArrayList<>();
        bus.subscribe(patient, delivery -> {
            attempts.add(delivery.attempt());
            seenAt.add(Instant.now());
            if (delivery.attempt() == 1) {
                delivery.retryIn(delay);
            }
        });

        bus.sync().send(task(patient, "not now"));

        await().atMost(WAIT)
                .until(() -> attempts.size() == 2 && bus.sync().inbox(patient).pending() == 0);
        assertThat(attempts).containsExactly(1, 2);
        // Idle time is counted in whole milliseconds on the server's clock: allow that rounding.
        assertThat(Duration.between(seenAt.get(0), seenAt.get(1))).isGreaterThanOrEqualTo(delay.minusMillis(5));
        assertThat(bus.deadLetters(patient).count()).isZero();
    }

    @Test
    default void ackWhenAcksOnceTheWorkCompletesAndRetriesWhenItFails() {
        AgentId async = freshAgent("async");
        AgentBus bus = bus(quickRetries());
        List<CompletableFuture<Void>> work = new CopyOnWriteArrayList<>();
        bus.subscribe(async, delivery -> {
            CompletableFuture<Void> step = new CompletableFuture<>();
            work.add(step);
            delivery.ackWhen(step);
        });
        bus.sync().send(task(async, "call the model"));
        await().atMost(WAIT).until(() -> work.size() == 1);
        assertThat(bus.sync().inbox(async).pending())
                .as("the handler returned, its work is not done")
                .isEqualTo(1);

        work.get(0).completeExceptionally(new IllegalStateException("the model timed out"));
        await().atMost(WAIT).until(() -> work.size() == 2);
        work.get(1).complete(null);

        await().atMost(WAIT).until(() -> bus.sync().inbox(async).pending() == 0);
        assertThat(bus.sync().inbox(async).counters().acked()).isEqualTo(1);
        assertThat(bus.sync().inbox(async).counters().retried()).isEqualTo(1);
        assertThat(bus.deadLetters(async).count()).isZero();
    }

    @Test
    default void aMessageFailingEveryAttemptIsDeadLetteredWithItsReasonAndAttempts() {
        AgentId doomed = freshAgent("doomed");
        AgentBus bus = bus(quickRetries());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        bus.subscribe(doomed, delivery -> {
            attempts.add(delivery.attempt());
            throw new IllegalStateException("boom");
        });

        Envelope message = task(doomed, "never works");
        bus.sync().send(message);

        DeadLetter dead = awaitDeadLetter(bus, doomed, message.messageId());
        assertThat(dead.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
        assertThat(dead.attempts()).isEqualTo(3);
        assertThat(dead.detail()).contains("boom");
        assertThat(dead.agent()).isEqualTo(doomed);
        assertThat(dead.envelope()).contains(message);
        assertThat(dead.firstFailedAt()).isBeforeOrEqualTo(dead.lastFailedAt());
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(bus.sync().inbox(doomed).pending()).isZero();
        assertThat(bus.sync().inbox(doomed).deadLetters()).isEqualTo(1);
    }

    @Test
    default void aRejectedOrNonRetryableMessageIsDeadLetteredAtTheFirstAttempt() {
        AgentId strict = freshAgent("strict");
        AgentBus bus = bus(quickRetries());
        bus.subscribe(strict, delivery -> {
            if (delivery.envelope().messageType().equals("spam")) {
                throw new NonRetryableException("policy refuses this");
            }
            delivery.deadLetter("not my job");
        });

        Envelope rejected = task(strict, "reject me");
        Envelope spam =
                rejected.toBuilder().messageId(MessageId.random()).type("spam").build();
        bus.sync().send(rejected);
        bus.sync().send(spam);

        DeadLetter refused = awaitDeadLetter(bus, strict, rejected.messageId());
        DeadLetter nonRetryable = awaitDeadLetter(bus, strict, spam.messageId());
        assertThat(refused.reason()).isEqualTo(DeadLetterReason.REJECTED);
        assertThat(refused.detail()).isEqualTo("not my job");
        assertThat(refused.attempts()).isEqualTo(1);
        assertThat(nonRetryable.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
        assertThat(nonRetryable.detail()).contains("policy refuses this");
        assertThat(nonRetryable.attempts()).isEqualTo(1);
    }

    @Test
    default void aRedrivenDeadLetterIsDeliveredAgainFromTheFirstAttempt() throws Exception {
        AgentId picky = freshAgent("picky");
        AgentBus bus = bus(quickRetries());
        AtomicBoolean refusing = new AtomicBoolean(true);
        RecordingHandler accepted = RecordingHandler.acking();
        subscribeRefusingWhile(bus, picky, refusing, accepted);
        Envelope message = task(picky, "try again later");
        bus.sync().send(message);
        DeadLetter dead = awaitDeadLetter(bus, picky, message.messageId());

        refusing.set(false);
        long redriven = bus.deadLetters(picky).redrive(List.of(dead.id()));

        Delivery again = accepted.await(1, WAIT).get(0);
        assertThat(redriven).isEqualTo(1);
        assertThat(again.envelope()).isEqualTo(message);
        assertThat(again.attempt()).isEqualTo(1);
        assertThat(bus.deadLetters(picky).count()).isZero();
        await().atMost(WAIT).until(() -> bus.sync().inbox(picky).pending() == 0);
        assertThat(bus.sync().inbox(picky).counters().redriven()).isEqualTo(1);
    }

    @Test
    default void deadLettersAreListedRedrivenAllAtOnceAndPurged() throws Exception {
        AgentId picky = freshAgent("picky");
        AgentBus bus = bus(quickRetries());
        AtomicBoolean refusing = new AtomicBoolean(true);
        RecordingHandler accepted = RecordingHandler.acking();
        subscribeRefusingWhile(bus, picky, refusing, accepted);
        List<MessageId> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(bus.sync().send(task(picky, "n" + i)).messageId());
        }
        DeadLetters deadLetters = bus.deadLetters(picky);
        await().atMost(WAIT).until(() -> deadLetters.count() == 3);
        assertThat(deadLetters.list(10))
                .extracting(dead -> dead.envelope().orElseThrow().messageId())
                .containsExactlyElementsOf(sent);

        refusing.set(false);
        List<Long> progress = new CopyOnWriteArrayList<>();
        long redriven = deadLetters.redriveAll(progress::add);

        assertThat(redriven).isEqualTo(3);
        assertThat(progress).isNotEmpty().last().isEqualTo(3L);
        assertThat(ids(accepted.await(3, WAIT))).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(deadLetters.count()).isZero();
        refusing.set(true);
        bus.sync().send(task(picky, "refused again"));
        await().atMost(WAIT).until(() -> deadLetters.count() == 1);
        assertThat(deadLetters.purge()).isEqualTo(1);
        assertThat(deadLetters.list(10)).isEmpty();
    }

    /** Subscribes {@code agent}: each delivery is dead-lettered while {@code refusing}, then handed to {@code accepted}. */
    private static void subscribeRefusingWhile(
            AgentBus bus, AgentId agent, AtomicBoolean refusing, RecordingHandler accepted) {
        bus.subscribe(agent, delivery -> {
            if (refusing.get()) {
                delivery.deadLetter("not yet");
            } else {
                accepted.handle(delivery);
            }
        });
    }
}
