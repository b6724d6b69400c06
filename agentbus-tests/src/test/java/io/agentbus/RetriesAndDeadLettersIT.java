package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Retries, redelivery after a visibility timeout, dead letters and duplicate suppression, one rule per test. */
@ExtendWith(RedisServerExtension.class)
class RetriesAndDeadLettersIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Short backoff and visibility so that retries happen in tenths of a second. */
    private static final DeliveryOptions QUICK_RETRIES = DeliveryOptions.builder()
            .visibilityTimeout(Duration.ofSeconds(1))
            .maxAttempts(3)
            .backoff(Backoff.fixed(Duration.ofMillis(50)))
            .build();

    private static RedisCommands<String, String> raw;

    @BeforeAll
    static void connectRaw(RawRedis connection) {
        raw = connection.commands();
    }

    @Test
    void handlerThatFailsTwiceThenSucceedsSeesAttemptsOneTwoThreeAndTheMessageIsAcked(LocalRedis redis) {
        AgentId flaky = freshAgent("flaky");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(5))) {
            bus.subscribe(flaky, delivery -> {
                attempts.add(delivery.attempt());
                if (delivery.attempt() < 3) {
                    throw new IllegalStateException("transient failure " + delivery.attempt());
                }
            });

            bus.sync().send(task(flaky));

            await().atMost(WAIT)
                    .until(() -> attempts.size() == 3 && bus.sync().inbox(flaky).pending() == 0);
            assertThat(attempts).containsExactly(1, 2, 3);
            assertThat(bus.deadLetters(flaky).count()).isZero();
        }
    }

    @Test
    void ackWhenAcksOnlyAfterTheWorkCompletesAndRetriesWhenItFails(LocalRedis redis) {
        AgentId async = freshAgent("async");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> work = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(5))) {
            bus.subscribe(async, delivery -> {
                attempts.add(delivery.attempt());
                CompletableFuture<Void> step = new CompletableFuture<>();
                work.add(step);
                delivery.ackWhen(step);
            });
            bus.sync().send(task(async));

            await().atMost(WAIT).until(() -> work.size() == 1);
            assertThat(bus.sync().inbox(async).pending())
                    .as("returned, but its work is not done")
                    .isEqualTo(1);
            work.get(0).completeExceptionally(new IllegalStateException("the model timed out"));
            await().atMost(WAIT).until(() -> work.size() == 2);
            assertThat(attempts).containsExactly(1, 2);
            work.get(1).complete(null);
            await().atMost(WAIT).until(() -> bus.sync().inbox(async).pending() == 0);
            assertThat(bus.sync().inbox(async).counters().acked()).isEqualTo(1);
            assertThat(bus.deadLetters(async).count()).isZero();
        }
    }

    @Test
    void retryInRedeliversAfterAboutThatDelayAndNotBefore(LocalRedis redis) {
        AgentId patient = freshAgent("patient");
        Duration delay = Duration.ofMillis(500);
        Duration visibility = Duration.ofSeconds(2);
        AtomicLong askedAt = new AtomicLong();
        AtomicLong redeliveredAt = new AtomicLong();
        AtomicInteger secondAttempt = new AtomicInteger();
        BusOptions options = BusOptions.builder()
                .delivery(
                        DeliveryOptions.builder().visibilityTimeout(visibility).build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            bus.subscribe(patient, delivery -> {
                if (delivery.attempt() == 1) {
                    askedAt.set(System.nanoTime());
                    delivery.retryIn(delay);
                } else {
                    redeliveredAt.compareAndSet(0, System.nanoTime());
                    secondAttempt.set(delivery.attempt());
                }
            });

            bus.sync().send(task(patient));

            await().atMost(WAIT)
                    .until(() -> redeliveredAt.get() != 0
                            && bus.sync().inbox(patient).pending() == 0);
            Duration waited = Duration.ofNanos(redeliveredAt.get() - askedAt.get());
            assertThat(secondAttempt.get()).isEqualTo(2);
            // Redis counts idle time in whole milliseconds on its own clock: allow that rounding, no more.
            assertThat(waited).isGreaterThanOrEqualTo(delay.minusMillis(5));
            // Well before the visibility timeout: the retry honours the delay asked for, not the lease.
            assertThat(waited).isLessThan(visibility);
        }
    }

    @Test
    void deadLetterCallMovesTheMessageToDeadLettersAsRejectedWithTheReasonGiven(LocalRedis redis) {
        AgentId strict = freshAgent("strict");
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            bus.subscribe(strict, delivery -> delivery.deadLetter("why"));

            Envelope refused = task(strict);
            bus.sync().send(refused);

            DeadLetter dead = awaitDeadLetter(bus, strict, refused.messageId());
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.REJECTED);
            assertThat(dead.detail()).isEqualTo("why");
            assertThat(dead.attempts()).isEqualTo(1);
            assertThat(dead.envelope()).contains(refused);
            assertThat(bus.sync().inbox(strict).pending()).isZero();
        }
    }

    @Test
    void nonRetryableExceptionDeadLettersAtOnceNamingTheExceptionClass(LocalRedis redis) {
        AgentId picky = freshAgent("picky");
        AtomicInteger calls = new AtomicInteger();
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            bus.subscribe(picky, delivery -> {
                calls.incrementAndGet();
                throw new NonRetryableException("policy refuses this brief");
            });

            Envelope refused = task(picky);
            bus.sync().send(refused);

            DeadLetter dead = awaitDeadLetter(bus, picky, refused.messageId());
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
            assertThat(dead.detail())
                    .contains(NonRetryableException.class.getName())
                    .contains("policy refuses this brief");
            assertThat(dead.attempts()).isEqualTo(1);
            assertThat(calls.get()).isEqualTo(1);
        }
    }

    @Test
    void messageFailingEveryAttemptIsDeadLetteredAfterMaxAttempts(LocalRedis redis) {
        AgentId doomed = freshAgent("doomed");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            bus.subscribe(doomed, delivery -> {
                attempts.add(delivery.attempt());
                throw new IllegalStateException("boom");
            });

            Envelope task = task(doomed);
            bus.sync().send(task);

            DeadLetter dead = awaitDeadLetter(bus, doomed, task.messageId());
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
            assertThat(dead.attempts()).isEqualTo(3);
            assertThat(attempts).containsExactly(1, 2, 3);
            assertThat(dead.detail()).contains("boom");
            // Two retries of 50 ms lie between the first failure and the last, so strictly before.
            assertThat(dead.firstFailedAt()).isBefore(dead.lastFailedAt());
            assertThat(dead.envelope()).contains(task);
            assertThat(dead.sourceEntryId()).isNotEmpty();
            assertThat(bus.sync().inbox(doomed).pending()).isZero();
        }
    }

    @Test
    void messagePendingForADeadConsumerIsReclaimedAfterTheVisibilityTimeoutWithAttemptTwo(LocalRedis redis)
            throws Exception {
        AgentId worker = freshAgent("worker");
        String inbox = inbox(worker);
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            createGroup(inbox);
            Envelope task = task(worker);
            bus.sync().send(task);
            List<StreamMessage<String, String>> stolen = readAsGhost(inbox);
            long ghostReadAt = System.nanoTime();
            assertThat(stolen).hasSize(1);

            RecordingHandler handler = RecordingHandler.acking();
            Subscription live = bus.subscribe(worker, handler);

            Delivery redelivered = handler.await(1, WAIT).get(0);
            long waitedMillis =
                    Duration.ofNanos(System.nanoTime() - ghostReadAt).toMillis();
            assertThat(redelivered.envelope()).isEqualTo(task);
            assertThat(redelivered.attempt()).isEqualTo(2);
            assertThat(redelivered.consumer()).isEqualTo(live.consumer());
            assertThat(waitedMillis)
                    .isGreaterThanOrEqualTo(QUICK_RETRIES.visibilityTimeout().toMillis() - 5);
            await().atMost(WAIT).until(() -> bus.sync().inbox(worker).pending() == 0);
        }
    }

    @Test
    void entryDeliveredMoreOftenThanMaxAttemptsToDeadConsumersIsDeadLetteredWithoutReachingTheHandler(
            LocalRedis redis) {
        AgentId worker = freshAgent("worker");
        String inbox = inbox(worker);
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            createGroup(inbox);
            Envelope task = task(worker);
            String entryId = bus.sync().send(task).entryId();
            readAsGhost(inbox);
            // Three crashed consumers before this one: the PEL counts three deliveries.
            raw.xclaim(
                    inbox,
                    Consumer.from("agentbus", "ghost"),
                    XClaimArgs.Builder.minIdleTime(0).retryCount(3),
                    entryId);

            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);

            DeadLetter dead = awaitDeadLetter(bus, worker, task.messageId());
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
            assertThat(dead.attempts()).isEqualTo(4);
            assertThat(dead.detail()).contains("without an outcome");
            assertThat(handler.deliveries()).isEmpty();
            assertThat(bus.sync().inbox(worker).pending()).isZero();
        }
    }

    @Test
    void pendingEntryDeletedFromTheStreamIsDroppedFromThePendingListAndReadingGoesOn(LocalRedis redis)
            throws Exception {
        AgentId worker = freshAgent("worker");
        String inbox = inbox(worker);
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            createGroup(inbox);
            String deleted = bus.sync().send(task(worker)).entryId();
            readAsGhost(inbox);
            assertThat(raw.xdel(inbox, deleted)).isEqualTo(1);
            assertThat(bus.sync().inbox(worker).pending()).isEqualTo(1);

            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);

            await().atMost(WAIT).until(() -> bus.sync().inbox(worker).pending() == 0);
            Envelope after = task(worker);
            bus.sync().send(after);
            assertThat(handler.await(1, WAIT)).extracting(Delivery::envelope).containsExactly(after);
            assertThat(bus.deadLetters(worker).count()).isZero();
        }
    }

    @Test
    void deadLettersAreFoundByMessageIdOrEntryIdAndPurgedWholeOrByAge(LocalRedis redis) {
        AgentId strict = freshAgent("strict");
        String dlq = "agent:{" + strict.value() + "}:dlq";
        try (AgentBus bus = AgentBus.connect(redis.uri(), quickRetries(3))) {
            // A dead letter from an hour ago, written as docs/PROTOCOL.md section 6 lays it out.
            long hourAgo = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
            String old = raw.xadd(
                    dlq,
                    new io.lettuce.core.XAddArgs().id(hourAgo + "-0"),
                    Map.of(
                            "message_id",
                            "old-one",
                            "dlq_reason",
                            "rejected",
                            "dlq_detail",
                            "stale",
                            "dlq_attempts",
                            "1",
                            "dlq_failed_at",
                            Long.toString(hourAgo)));
            bus.subscribe(strict, delivery -> delivery.deadLetter("not today"));
            Envelope fresh = task(strict);
            bus.sync().send(fresh);
            DeadLetters deadLetters = bus.deadLetters(strict);
            DeadLetter found = awaitDeadLetter(bus, strict, fresh.messageId());

            assertThat(deadLetters.find(found.id())).contains(found);
            assertThat(deadLetters.find("never-sent")).isEmpty();
            assertThat(deadLetters.find("old-one")).map(DeadLetter::id).contains(old);
            assertThat(deadLetters.list(10)).extracting(DeadLetter::id).containsExactly(old, found.id());

            assertThat(deadLetters.purgeOlderThan(Duration.ofMinutes(30))).isEqualTo(1);
            assertThat(deadLetters.list(10)).extracting(DeadLetter::id).containsExactly(found.id());
            assertThat(deadLetters.purge()).isEqualTo(1);
            assertThat(deadLetters.count()).isZero();
            assertThat(deadLetters.find(fresh.messageId().value())).isEmpty();
        }
    }

    @Test
    void idempotentHandlerRunsOnceForAMessageIdStoredTwice(LocalRedis redis) {
        AgentId worker = freshAgent("worker");
        Envelope task = task(worker);
        String dedupKey =
                "agent:{" + worker.value() + "}:dedup:" + task.messageId().value();
        BusOptions tinyDedupWindow = BusOptions.builder()
                .send(SendOptions.builder().dedupWindow(Duration.ofMillis(50)).build())
                .build();
        AtomicInteger deliveries = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        try (AgentBus bus = AgentBus.connect(redis.uri(), tinyDedupWindow)) {
            MessageHandler once = bus.idempotent(delivery -> runs.incrementAndGet(), Duration.ofMinutes(1));
            bus.subscribe(worker, delivery -> {
                once.handle(delivery);
                deliveries.incrementAndGet();
            });

            assertThat(bus.sync().send(task).duplicate()).isFalse();
            await().atMost(WAIT).until(() -> raw.exists(dedupKey) == 0);
            assertThat(bus.sync().send(task).duplicate()).isFalse();

            await().atMost(WAIT)
                    .until(() ->
                            deliveries.get() == 2 && bus.sync().inbox(worker).pending() == 0);
            assertThat(runs.get()).isEqualTo(1);
            assertThat(bus.sync().inbox(worker).length()).isEqualTo(2);
        }
    }

    @Test
    void sendingTheSameEnvelopeTwiceStoresItOnceAndReportsTheDuplicate(LocalRedis redis) {
        AgentId worker = freshAgent("worker");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            Envelope task = task(worker);

            SendReceipt first = bus.sync().send(task);
            SendReceipt second = bus.sync().send(task);

            assertThat(first.duplicate()).isFalse();
            assertThat(second.duplicate()).isTrue();
            assertThat(second.entryId()).isEqualTo(first.entryId());
            assertThat(second.messageId()).isEqualTo(task.messageId());
            assertThat(bus.sync().inbox(worker).length()).isEqualTo(1);
        }
    }

    /** Creates the inbox's group from outside the bus, as a consumer in another language would. */
    private static void createGroup(String inbox) {
        raw.xgroupCreate(
                XReadArgs.StreamOffset.from(inbox, "0"),
                "agentbus",
                io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
    }

    /** A consumer "ghost" reads the next entry and dies before acknowledging it: the entry stays pending. */
    private static List<StreamMessage<String, String>> readAsGhost(String inbox) {
        return raw.xreadgroup(
                Consumer.from("agentbus", "ghost"),
                XReadArgs.Builder.count(1),
                XReadArgs.StreamOffset.lastConsumed(inbox));
    }

    private static BusOptions quickRetries(int maxAttempts) {
        return BusOptions.builder()
                .delivery(QUICK_RETRIES.mutate().maxAttempts(maxAttempts).build())
                .build();
    }

    private static Envelope task(AgentId to) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload("{\"brief\":\"launch post\"}")
                .build();
    }

    private static String inbox(AgentId agent) {
        return "agent:{" + agent.value() + "}:inbox";
    }

    private static DeadLetter awaitDeadLetter(AgentBus bus, AgentId agent, MessageId id) {
        Optional<DeadLetter> dead =
                await().atMost(WAIT).until(() -> bus.deadLetters(agent).find(id.value()), Optional::isPresent);
        return dead.orElseThrow();
    }
}
