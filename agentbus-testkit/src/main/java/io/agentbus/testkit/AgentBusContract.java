package io.agentbus.testkit;

import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import io.agentbus.NonRetryableException;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestTimeoutException;
import io.agentbus.SendOptions;
import io.agentbus.SendReceipt;
import io.agentbus.Subscription;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.Swarms;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every {@link AgentBus} does, whatever is under it: one body of tests that a Redis bus on a
 * standalone server, on Sentinel and on a cluster, and the in-memory double, must all pass (as
 * Caffeine runs one test over every cache configuration). It uses the public API only: no Redis
 * keys, no raw connection, nothing one server has and another lacks.
 *
 * <pre>{@code
 * @ExtendWith(RedisServerExtension.class)
 * class RedisStandaloneContractIT extends AgentBusContract {
 *     private String uri;
 *
 *     @BeforeAll
 *     void startRedis(LocalRedis redis) { uri = redis.uri(); }
 *
 *     @Override protected AgentBus connect(BusOptions options) { return AgentBus.connect(uri, options); }
 *     @Override protected String topology() { return "standalone"; }
 * }
 * }</pre>
 *
 * <p>One instance serves the whole class ({@link TestInstance.Lifecycle#PER_CLASS}), so a subclass's
 * {@code @BeforeAll} may be an instance method that receives its fixture as a parameter. Tests share
 * one server and use fresh agent, topic and swarm names, so their order never matters. Every bus a
 * test opens through {@link #bus(BusOptions)} is closed after it. When the class is done, one line
 * {@code RESULT scenario=contract topology=<topology> passed=N failed=M} goes to stdout.
 *
 * <p>Waits are generous: on a cluster an idle agent's inbox is polled, so its first message may take
 * about a second to be read. A subclass that cannot pass a test yet overrides it, annotated
 * {@code @Disabled("why, and the issue")}, which is why the tests are public.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ContractResults.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class AgentBusContract {

    /** How long a test waits for what must happen: generous, as CI machines are shared. */
    protected static final Duration WAIT = Duration.ofSeconds(20);

    /** Retries within tenths of a second, and three attempts, so that dead-lettering is quick. */
    private static final DeliveryOptions QUICK_RETRIES = DeliveryOptions.builder()
            .visibilityTimeout(Duration.ofSeconds(1))
            .maxAttempts(3)
            .backoff(Backoff.fixed(Duration.ofMillis(50)))
            .build();

    private final List<AgentBus> buses = new CopyOnWriteArrayList<>();

    /** Opens a new bus with {@code options} on the deployment under test; the contract closes it. */
    protected abstract AgentBus connect(BusOptions options);

    /** The name of the deployment, as the {@code RESULT} line prints it: {@code standalone}, {@code memory}... */
    protected abstract String topology();

    /** A bus with {@link BusOptions#defaults()}, closed after the test. */
    protected final AgentBus bus() {
        return bus(BusOptions.defaults());
    }

    /** A bus with {@code options}, closed after the test. */
    protected final AgentBus bus(BusOptions options) {
        AgentBus bus = connect(options);
        buses.add(bus);
        return bus;
    }

    @AfterEach
    protected final void closeBuses() {
        List<AgentBus> open = new ArrayList<>(buses);
        buses.clear();
        // Newest first: a responder bus closes before the requester it may still answer.
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    // Direct messages

    @Test
    public void aSentMessageIsHandledOnceAndAcked() throws Exception {
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
    public void twoInstancesOfAnAgentShareItsMessagesAndEachIsHandledOnce() throws Exception {
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

    private static MessageHandler holdFirstUntilBoth(
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

    // Retries and dead letters

    @Test
    public void aHandlerThatFailsTwiceThenSucceedsSeesAttemptsOneTwoThreeAndIsAcked() {
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
    public void retryInRedeliversAfterTheDelayAsTheNextAttempt() {
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
    public void ackWhenAcksOnceTheWorkCompletesAndRetriesWhenItFails() {
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
    public void aMessageFailingEveryAttemptIsDeadLetteredWithItsReasonAndAttempts() {
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
    public void aRejectedOrNonRetryableMessageIsDeadLetteredAtTheFirstAttempt() {
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
    public void aRedrivenDeadLetterIsDeliveredAgainFromTheFirstAttempt() throws Exception {
        AgentId picky = freshAgent("picky");
        AgentBus bus = bus(quickRetries());
        AtomicBoolean refusing = new AtomicBoolean(true);
        RecordingHandler accepted = RecordingHandler.acking();
        bus.subscribe(picky, delivery -> {
            if (refusing.get()) {
                delivery.deadLetter("not yet");
            } else {
                accepted.handle(delivery);
            }
        });
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
    public void deadLettersAreListedRedrivenAllAtOnceAndPurged() throws Exception {
        AgentId picky = freshAgent("picky");
        AgentBus bus = bus(quickRetries());
        AtomicBoolean refusing = new AtomicBoolean(true);
        RecordingHandler accepted = RecordingHandler.acking();
        bus.subscribe(picky, delivery -> {
            if (refusing.get()) {
                delivery.deadLetter("not yet");
            } else {
                accepted.handle(delivery);
            }
        });
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

    // Deduplication

    @Test
    public void aMessageSentTwiceIsStoredAndDeliveredOnce() throws Exception {
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
    public void theIdempotentHelperRunsAHandlerOnceForAMessageStoredTwice() {
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

    // Priorities

    @Test
    public void queuedMessagesOfAHigherPriorityAreHandledFirstAndEachPriorityKeepsItsOrder() throws Exception {
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
    public void aDelayedMessageArrivesAtItsTimeAndNotBefore() throws Exception {
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
    public void anExpiredMessageIsDeadLetteredInsteadOfHandled() throws Exception {
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

    // Request/reply

    @Test
    public void aRequestIsAnsweredWithACorrelatedReplyThatSkipsTheRequestersHandler() throws Exception {
        AgentId requester = freshAgent("copywriter");
        AgentId responder = freshAgent("content_manager");
        AgentBus requesting = bus();
        AgentBus responding = bus();
        RecordingHandler requesterInbox = RecordingHandler.acking();
        requesting.subscribe(requester, requesterInbox);
        responding.serve(
                responder,
                request -> Map.of(
                        "verdict", "approved", "draft", request.envelope().payload()));
        Envelope review = Envelope.builder()
                .from(requester)
                .to(responder)
                .type("review_request")
                .payload("{\"text\":\"Launch day!\"}")
                .conversationId(freshName("launch"))
                .build();

        Envelope reply = requesting.sync().request(review, WAIT);

        assertThat(reply.correlationId()).contains(review.messageId().value());
        assertThat(reply.messageType()).isEqualTo("review_request.reply");
        assertThat(reply.fromAgent()).isEqualTo(responder);
        assertThat(reply.toAgent()).isEqualTo(requester);
        assertThat(reply.conversationId()).isEqualTo(review.conversationId());
        assertThat(reply.payload()).contains("\"verdict\":\"approved\"");
        await().atMost(WAIT).until(() -> requesting.sync().inbox(requester).pending() == 0);
        assertThat(requesterInbox.deliveries()).isEmpty();
    }

    @Test
    public void anEscalationClimbsTheChainPastSilentAndEscalatingLevelsToTheFirstRealReply() throws Exception {
        AgentId requester = freshAgent("specialist_lead");
        AgentId silent = freshAgent("specialist");
        AgentId manager = freshAgent("manager");
        AgentId executive = freshAgent("executive");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        bus.serve(silent, request -> null);
        bus.serve(manager, request -> Map.of("escalate", true));
        RecordingHandler executiveSaw = RecordingHandler.acking();
        bus.serve(executive, request -> {
            executiveSaw.handle(request);
            return Map.of("decision", "approved");
        });
        Envelope question = Envelope.builder()
                .from(requester)
                .to(silent)
                .type("budget_request")
                .payload("{}")
                .build();

        // Long enough per level for a polled (cluster) inbox to answer; the silent level costs it once.
        Envelope reply = bus.sync().escalate(question, List.of(silent, manager, executive), Duration.ofSeconds(3));

        assertThat(reply.fromAgent()).isEqualTo(executive);
        assertThat(reply.payload()).contains("approved");
        Envelope atTheTop = executiveSaw.await(1, WAIT).get(0).envelope();
        assertThat(atTheTop.messageId()).isNotEqualTo(question.messageId());
        assertThat(atTheTop.extensions().get("escalation_path")).contains(silent.value(), manager.value());
        await().atMost(WAIT)
                .until(() -> bus.audit().tail(AuditQuery.all().agent(manager), 10).stream()
                        .anyMatch(entry -> entry.event().equals("decision")));
    }

    @Test
    public void aRequestNobodyAnswersTimesOutTyped() {
        AgentId requester = freshAgent("cmo");
        AgentId silent = freshAgent("silent");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        bus.serve(silent, request -> null);
        Envelope question = Envelope.builder()
                .from(requester)
                .to(silent)
                .type("question")
                .payload("{}")
                .build();

        assertThatThrownBy(() -> bus.sync().request(question, Duration.ofMillis(500)))
                .isInstanceOf(RequestTimeoutException.class);
    }

    @Test
    public void aRequestToAnAgentThatNeverRanFailsAtOnce() {
        AgentId requester = freshAgent("cmo");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        Envelope question = Envelope.builder()
                .from(requester)
                .to(freshAgent("nobody"))
                .type("question")
                .payload("{}")
                .build();

        assertThatThrownBy(() -> bus.sync().request(question, Duration.ofSeconds(30)))
                .isInstanceOf(RecipientUnavailableException.class)
                .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.NO_RESPONDERS);
    }

    // Broadcast

    @Test
    public void aBroadcastReachesEveryListenerWhosePatternMatches() {
        String prefix = "events:" + freshName("content");
        AgentBus publisher = bus();
        AgentBus listening = bus();
        List<String> byPattern = new CopyOnWriteArrayList<>();
        List<String> byChannel = new CopyOnWriteArrayList<>();
        listening.listen(prefix + ":*", (channel, message) -> byPattern.add(channel + " " + message.messageType()));
        listening.listen(prefix + ":created", (channel, message) -> byChannel.add(message.messageType()));

        broadcast(publisher, prefix + ":created", "created");
        broadcast(publisher, "events:" + freshName("campaign") + ":launched", "launched");
        broadcast(publisher, prefix + ":approved", "approved");

        await().atMost(WAIT).until(() -> byPattern.size() == 2 && byChannel.size() == 1);
        assertThat(byPattern).containsExactly(prefix + ":created created", prefix + ":approved approved");
        assertThat(byChannel).containsExactly("created");
        assertThat(listening.broadcastStats().received()).isEqualTo(3);
        assertThat(publisher.broadcastStats().published()).isEqualTo(3);
    }

    // Durable topics

    @Test
    public void everySubscriberGroupOfADurableTopicReceivesEveryMessage() throws Exception {
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
    public void aSubscriberGroupOfflineDuringPublishesReceivesThemWhenItReturns() throws Exception {
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
    public void instancesOfOneSubscriberGroupCompeteForATopicsMessages() throws Exception {
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
    public void aNewSubscriberGroupStartsFromNowOrFromTheOldestMessage() throws Exception {
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
    public void aSubscriberGroupsFailuresAreDeadLetteredAndRedrivenLikeAnInbox() throws Exception {
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

    // Registry and presence

    @Test
    public void capabilityQueriesFindExactlyTheLiveAgentsWithThatCapability() {
        String capability = freshName("seo_audit");
        AgentId specialist = freshAgent("seo_specialist");
        AgentId intern = freshAgent("seo_intern");
        AgentBus bus = bus(fastPresence());
        AgentRegistry registry = bus.registry();
        registry.publish(new AgentCard(
                specialist, "seo", Set.of(capability, "keywords"), "2.1", "finds keywords", Map.of("team", "growth")));
        registry.publish(AgentCard.of(intern, "intern", capability));

        bus.subscribe(specialist, RecordingHandler.acking());

        await().atMost(WAIT).until(() -> registry.isLive(specialist));
        assertThat(registry.withCapability(capability))
                .extracting(AgentCard::id)
                .containsExactly(specialist);
        assertThat(registry.isLive(intern)).isFalse();
        assertThat(registry.live())
                .extracting(AgentCard::id)
                .contains(specialist)
                .doesNotContain(intern);
        assertThat(registry.card(specialist)).hasValueSatisfying(card -> {
            assertThat(card.role()).isEqualTo("seo");
            assertThat(card.capabilities()).containsExactlyInAnyOrder(capability, "keywords");
            assertThat(card.version()).isEqualTo("2.1");
            assertThat(card.metadata()).containsEntry("team", "growth");
        });
        assertThat(registry.known()).contains(specialist);
        registry.remove(intern);
        assertThat(registry.card(intern)).isEmpty();
    }

    @Test
    public void anAgentLeavesWhenItsLastInstanceClosesAndWatchersAreTold() {
        AgentId agent = freshAgent("temp");
        AgentBus observer = bus(fastPresence());
        AgentBus worker = bus(fastPresence());
        List<AgentRegistry.PresenceEvent> events = new CopyOnWriteArrayList<>();
        observer.registry().watch(events::add);
        Subscription instance = worker.subscribe(agent, RecordingHandler.acking());
        await().atMost(WAIT).until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, true)));
        assertThat(observer.registry().isLive(agent)).isTrue();

        instance.close();

        assertThat(observer.registry().isLive(agent)).isFalse();
        await().atMost(WAIT).until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, false)));
    }

    // Audit trail

    @Test
    public void theAuditTrailRecordsAConversationsSendsOutcomesAndDecisions() {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("reviewer");
        String conversation = freshName("launch");
        AgentBus bus = bus(quickRetries());
        bus.subscribe(reviewer, delivery -> {
            if (delivery.envelope().messageType().equals("spam")) {
                throw new NonRetryableException("not for us");
            }
        });
        Envelope request = Envelope.builder()
                .from(writer)
                .to(reviewer)
                .type("review_request")
                .payload("{\"draft\":1}")
                .conversationId(conversation)
                .build();
        Envelope spam =
                request.toBuilder().messageId(MessageId.random()).type("spam").build();

        bus.sync().send(request);
        bus.sync().send(spam);
        await().atMost(WAIT)
                .until(() -> bus.deadLetters(reviewer).count() == 1
                        && bus.sync().inbox(reviewer).counters().acked() == 1);
        bus.audit()
                .decision(writer, "escalate", Map.of("conversation_id", conversation, "to", "cmo"))
                .toCompletableFuture()
                .join();

        AuditQuery ofConversation = AuditQuery.all().conversation(conversation);
        await().atMost(WAIT).until(() -> bus.audit().tail(ofConversation, 100).size() >= 5);
        List<AuditEntry> records = bus.audit().tail(ofConversation, 100);
        assertThat(records)
                .extracting(entry ->
                        entry.event() + " " + entry.field("message_type").orElse("-"))
                .containsExactlyInAnyOrder(
                        "sent review_request", "sent spam", "acked review_request", "dead_lettered spam", "decision -");
        assertThat(records).extracting(AuditEntry::at).isSorted();
        assertThat(bus.audit().tail(AuditQuery.all().agent(reviewer).type("spam"), 100))
                .extracting(AuditEntry::event)
                .containsExactly("sent", "dead_lettered");
    }

    @Test
    public void aReplayReRunsAConversationInASandboxWithoutTouchingProduction() {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("reviewer");
        String conversation = freshName("campaign");
        AgentBus bus = bus();
        for (int draft = 1; draft <= 3; draft++) {
            bus.sync()
                    .send(Envelope.builder()
                            .from(writer)
                            .to(reviewer)
                            .type("review_request")
                            .payload(Map.of("draft", draft))
                            .conversationId(conversation)
                            .build());
        }
        long productionLength = bus.sync().inbox(reviewer).length();

        int replayed = bus.audit().replay(conversation, "sandbox");

        List<String> rerun = new CopyOnWriteArrayList<>();
        bus.subscribe(
                AgentId.of("sandbox." + reviewer.value()),
                delivery -> rerun.add(delivery.envelope().payload() + " from "
                        + delivery.envelope().fromAgent()));
        await().atMost(WAIT).until(() -> rerun.size() >= 3);
        assertThat(replayed).isEqualTo(3);
        assertThat(rerun)
                .containsExactly(
                        "{\"draft\":1} from sandbox." + writer.value(),
                        "{\"draft\":2} from sandbox." + writer.value(),
                        "{\"draft\":3} from sandbox." + writer.value());
        assertThat(bus.sync().inbox(reviewer).length()).isEqualTo(productionLength);
    }

    // Swarms

    @Test
    public void aStaleSwarmStateWriteFailsAndChangesNothing() {
        String swarm = freshName("launch");
        Swarms swarms = bus().swarms();
        long first = swarms.write(swarm, 0, "{\"phase\":\"plan\"}");
        long second = swarms.write(swarm, first, "{\"phase\":\"build\"}");

        assertThatThrownBy(() -> swarms.write(swarm, first, "{\"phase\":\"stale\"}"))
                .isInstanceOf(StateConflictException.class);

        assertThat(second).isGreaterThan(first);
        assertThat(swarms.read(swarm)).hasValue(new Swarms.State(swarm, "{\"phase\":\"build\"}", second));
    }

    @Test
    public void anInterruptedSwarmIsRecoveredFromItsLastCheckpoint() {
        String swarm = freshName("research");
        Swarms swarms = bus().swarms();
        long version = swarms.write(swarm, 0, "{\"step\":1}");
        swarms.checkpoint(swarm, "step-1");
        swarms.write(swarm, version, "{\"step\":2,\"half\":\"done\"}");
        swarms.heartbeat(swarm, "coordinator-1", Duration.ofMillis(300));

        await().atMost(WAIT)
                .until(() -> swarms.show(swarm).map(Swarms.Info::interrupted).orElse(false));
        Swarms.Checkpoint resumed = swarms.recover(swarm, "coordinator-2", Duration.ofSeconds(30));

        assertThat(resumed.label()).isEqualTo("step-1");
        assertThat(swarms.read(swarm))
                .hasValueSatisfying(state -> assertThat(state.json()).isEqualTo("{\"step\":1}"));
        assertThat(swarms.show(swarm)).hasValueSatisfying(info -> {
            assertThat(info.interrupted()).isFalse();
            assertThat(info.coordinator()).contains("coordinator-2");
        });
        assertThat(swarms.list()).extracting(Swarms.Info::swarm).contains(swarm);
        assertThat(swarms.checkpoints(swarm))
                .extracting(Swarms.Checkpoint::label)
                .first()
                .isEqualTo("step-1");
    }

    @Test
    public void swarmMessagesReachTheReceivingSwarmAndStayInTheHistory() throws Exception {
        String from = freshName("research");
        String to = freshName("build");
        AgentBus sending = bus();
        AgentBus receiving = bus();
        RecordingHandler receiver = RecordingHandler.acking();
        receiving.swarms().messenger().receive(to, receiver);
        SwarmMessenger messenger = sending.swarms().messenger();

        List<MessageId> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(messenger
                    .send(from, to, "finding", "{\"n\":" + i + "}")
                    .toCompletableFuture()
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .messageId());
        }

        assertThat(ids(receiver.await(3, WAIT))).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(receiver.deliveries()).allSatisfy(delivery -> {
            assertThat(delivery.envelope().fromAgent().value()).isEqualTo(from);
            assertThat(delivery.envelope().messageType()).isEqualTo("finding");
        });
        assertThat(messenger.history(from, to, 10))
                .extracting(entry -> entry.message().messageId())
                .containsExactlyElementsOf(sent);
        assertThat(messenger.senders(to)).containsExactly(from);
    }

    @Test
    public void swarmEventsReachListenersOfTheirSwarmAndTypeOnly() {
        String swarm = freshName("swarm");
        AgentBus bus = bus();
        List<String> heard = new CopyOnWriteArrayList<>();
        bus.swarmEvents(swarm).listen("agent.*", (channel, event) -> heard.add(event.messageType()));
        SwarmEvents events = bus.swarmEvents(swarm);
        SwarmEvents otherSwarm = bus.swarmEvents(freshName("other"));

        events.publish("agent.joined", event("agent.joined"))
                .toCompletableFuture()
                .join();
        events.publish("task.done", event("task.done")).toCompletableFuture().join();
        otherSwarm
                .publish("agent.joined", event("agent.joined"))
                .toCompletableFuture()
                .join();
        events.publish("agent.left", event("agent.left")).toCompletableFuture().join();

        await().atMost(WAIT).until(() -> heard.size() >= 2);
        assertThat(heard).containsExactly("agent.joined", "agent.left");
    }

    @Test
    public void aDurableSwarmEventTypeReachesASubscriberGroupThatWasOffline() throws Exception {
        String swarm = freshName("cfn");
        AgentId build = freshAgent("build");
        SwarmEvents events = bus().swarmEvents(swarm);
        DurableTopic phases = events.durable("phase.transition");
        phases.subscribe(build, DurableTopic.StartFrom.NOW, RecordingHandler.acking())
                .close();

        SwarmEvents.Outcome outcome = events.publish("phase.transition", event("phase.transition"))
                .toCompletableFuture()
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        RecordingHandler returning = RecordingHandler.acking();
        phases.subscribe(build, DurableTopic.StartFrom.NOW, returning);

        assertThat(outcome).isEqualTo(SwarmEvents.Outcome.PUBLISHED);
        assertThat(returning.await(1, WAIT))
                .singleElement()
                .satisfies(delivery ->
                        assertThat(delivery.envelope().messageType()).isEqualTo("phase.transition"));
    }

    // Helpers

    private static BusOptions quickRetries() {
        return BusOptions.builder().delivery(QUICK_RETRIES).build();
    }

    /** Heartbeats every 200 ms, live for 600 ms: presence changes within a second. */
    private static BusOptions fastPresence() {
        return BusOptions.builder()
                .consumer(ConsumerOptions.builder()
                        .presence(Duration.ofMillis(200), Duration.ofMillis(600))
                        .build())
                .build();
    }

    private static Envelope task(AgentId to, String brief) {
        return Envelope.builder()
                .from("cmo")
                .to(to)
                .type("task")
                .payload(Map.of("brief", brief))
                .build();
    }

    private static Envelope event(String type) {
        return Envelope.builder()
                .from("coordinator")
                .to("swarm")
                .type(type)
                .payload("{}")
                .build();
    }

    private static void broadcast(AgentBus bus, String channel, String type) {
        Envelope message = Envelope.builder()
                .from("cmo")
                .to("everyone")
                .type(type)
                .payload("{}")
                .build();
        bus.sync().publish(channel, message);
    }

    private static Envelope topicMessage(DurableTopic topic, int n) {
        return Envelope.builder()
                .from("cmo")
                .to(topic.name())
                .type("announcement")
                .payload(Map.of("n", n))
                .build();
    }

    private static Set<MessageId> publish(DurableTopic topic, int count) throws Exception {
        Set<MessageId> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            Envelope message = topicMessage(topic, i);
            topic.publish(message).toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            ids.add(message.messageId());
        }
        return ids;
    }

    private static List<MessageId> ids(List<Delivery> deliveries) {
        return deliveries.stream()
                .map(delivery -> delivery.envelope().messageId())
                .toList();
    }

    private static DeadLetter awaitDeadLetter(AgentBus bus, AgentId agent, MessageId id) {
        Optional<DeadLetter> dead =
                await().atMost(WAIT).until(() -> bus.deadLetters(agent).find(id.value()), Optional::isPresent);
        return dead.orElseThrow();
    }
}
