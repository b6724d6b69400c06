package io.agentbus.cli.demo;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.Subscription;
import io.agentbus.audit.AuditEntry;
import io.agentbus.cli.AuditFormat;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.cli.ProgressLine;
import io.agentbus.deadletter.DeadLetters;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus demo}: runs the marketing {@link Department} on one bus, sends messages along its
 * org chart, some of which make their handler fail ({@link SimulatedFault}), announces the task
 * assignments as broadcasts ({@link TaskAnnouncements}), lets the copywriters request reviews
 * ({@link ReviewRequests}), has an escalation overtake a backlog ({@link Escalation}), reports what the
 * agents really did with it all ({@link DemoReport}), and prints the escalation's audit trail.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        subcommands = SwarmDemoCommand.class,
        description = {
            "Run a marketing department of 15 agents (16 instances: two copywriters share one inbox as"
                    + " competing consumers) and send N direct messages along its org chart: task"
                    + " assignments and feedback down, review requests and status updates up, handoffs"
                    + " between peers. Up to " + DemoCommand.MAX_IN_FLIGHT + " sends are in flight at once.",
            "Delivery is at least once, and the demo shows it. About one message in "
                    + Department.TRANSIENT_ONE_IN + " fails transiently: its handler throws on the first one or"
                    + " two attempts, the bus retries it after a backoff, and it succeeds. Every "
                    + Department.POISON_EVERY + "th is poison: its handler throws NonRetryableException, or"
                    + " throws on every attempt, and the bus moves it to the agent's dead letters. Deliveries"
                    + " use a visibility timeout of " + DemoCommand.VISIBILITY_TIMEOUT_MS + " ms, a backoff"
                    + " from " + DemoCommand.BACKOFF_FROM_MS + " to " + DemoCommand.BACKOFF_TO_MS + " ms and at"
                    + " most " + DemoCommand.MAX_ATTEMPTS + " attempts.",
            "On top of the N messages: once Redis has stored a task assignment of the "
                    + TaskAnnouncements.ANNOUNCER + ", it announces it as an ephemeral broadcast on "
                    + TaskAnnouncements.CHANNEL + ", and every running instance of the 10 specialists (the"
                    + " roles nobody reports to) listens to " + TaskAnnouncements.PATTERN + ". And a copywriter"
                    + " that has done a task the content_manager assigned asks it for a review with a request"
                    + " (timeout " + ReviewRequests.TIMEOUT_SECONDS + " s), which the content_manager answers"
                    + " with a reply; the reply comes to the copywriter inbox that both instances share.",
            "Then priorities: the " + Escalation.AGENT_NAME + "'s reports pile up " + Escalation.BACKLOG
                    + " routine reports (priority"
                    + " normal) in its inbox, which it handles in " + Escalation.BACKLOG_HANDLING_MS + " ms each,"
                    + " and while they wait the " + Escalation.ESCALATOR_NAME + " sends it one escalation at priority"
                    + " critical, in conversation escalation-<run id>. The escalation overtakes the backlog: it is"
                    + " handled after at most the reports the " + Escalation.AGENT_NAME
                    + " had already read, not after all of them.",
            "Progress, the handler runs of each running instance and the dead letters per agent go to"
                    + " stderr. Stdout gets one line of name=value fields: sent, delivered, acked, retried,"
                    + " dead_lettered, lost, duplicates, p50_ms, p99_ms, broadcasts, broadcast_receivers,"
                    + " requests and replies, and last escalation_backlog and escalation_overtaken. After it, stderr gets the"
                    + " escalation conversation's audit records, as agentbus audit tail --conversation shows them.",
            "delivered counts distinct messages that reached a handler; acked those whose handler"
                    + " returned normally, not dead-lettered and no longer pending; retried the deliveries"
                    + " after a message's first; dead_lettered the dead letters the run added; lost the sent"
                    + " messages neither acked nor in dead letters; duplicates the handler runs beyond a"
                    + " message's first and one retry per failure. Latency runs from the send call to the"
                    + " start of the first handler run. broadcasts counts the announcements published;"
                    + " broadcast_receivers the handler runs they caused in the specialists' listenings, one"
                    + " per listening instance and announcement if none was missed (Redis counts one receiver"
                    + " per bus); requests the review requests made; replies those answered in time."
                    + " escalation_backlog counts the routine reports waiting (sent, not handled) when the"
                    + " escalation was sent; escalation_overtaken those of them still unhandled when the escalation"
                    + " was handled, so escalation_backlog - escalation_overtaken were handled in between."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Every sent message was acked or dead-lettered (lost=0), every send succeeded, and every"
                    + " review request got its reply (replies=requests), and the escalation was handled before the backlog"
                    + " drained (escalation_overtaken>0).",
            ExitCodes.FAILED + ":Messages were lost, a send failed, a request got no reply, the escalation did"
                    + " not overtake the backlog, or Redis failed.",
            ExitCodes.INVALID_INPUT_HELP
        })
public final class DemoCommand implements Callable<Integer> {

    static final int DEFAULT_MESSAGES = 2000;
    /** Enough sends in flight to keep the pipeline to Redis full, few enough to bound memory and queueing. */
    // Measured p50 (2000 msgs, busy 2 cores): 500 92-160 ms; 200 65-83 ms, same run time; 100 40-66 ms, sends 50%
    // slower.
    static final int MAX_IN_FLIGHT = 200;
    /** A fixed seed: every run sends the same mix of messages and faults, so runs compare. */
    static final long TRAFFIC_SEED = 2025L;
    // Short delivery times, so that retries and dead letters happen within the few seconds of a demo.
    static final int VISIBILITY_TIMEOUT_MS = 1000;
    static final int BACKOFF_FROM_MS = 50;
    static final int BACKOFF_TO_MS = 200;
    static final int MAX_ATTEMPTS = 4;
    static final DeliveryOptions DELIVERY = DeliveryOptions.builder()
            .visibilityTimeout(Duration.ofMillis(VISIBILITY_TIMEOUT_MS))
            .backoff(Backoff.exponential(Duration.ofMillis(BACKOFF_FROM_MS), Duration.ofMillis(BACKOFF_TO_MS)))
            .maxAttempts(MAX_ATTEMPTS)
            .build();
    private static final Duration PROGRESS_PERIOD = Duration.ofMillis(250);
    private static final Duration POLL_PERIOD = Duration.ofMillis(20);
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(30);
    private static final Duration ACK_DEADLINE = Duration.ofSeconds(10);
    /** A live listening on the same Redis hears a broadcast within milliseconds; this only bounds a miss. */
    private static final Duration BROADCAST_DEADLINE = Duration.ofSeconds(5);
    /** The backlog takes about BACKLOG x BACKLOG_HANDLING_MS to drain; this only bounds a stall. */
    private static final Duration ESCALATION_DEADLINE = Duration.ofSeconds(10);
    /** The audit records are written by the same scripts as the send and the ack; this only bounds a miss. */
    private static final Duration AUDIT_DEADLINE = Duration.ofSeconds(5);

    /** One running instance of a role, and how many handler runs it had. */
    private record Instance(AgentId agent, int number, Subscription subscription, LongAdder handled) {}

    /** The dead letters this run added, per agent, and the message ids of all the department's. */
    private record DeadLetterTally(Map<AgentId, Long> addedByAgent, Set<MessageId> messageIds) {
        long added() {
            return addedByAgent.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    @Mixin
    private BusConnection connection;

    /** Read by {@code demo swarm} too, for {@code demo --topology sentinel swarm}. */
    @Mixin
    TopologyOption topology;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--messages",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_MESSAGES,
            description = "How many messages to send. Default: ${DEFAULT-VALUE}.")
    private int messages;

    @Override
    public Integer call() throws InterruptedException {
        if (messages < 1) {
            throw new IllegalArgumentException("--messages must be >= 1, was " + messages);
        }
        PrintWriter err = spec.commandLine().getErr();
        Department department = Department.marketing();
        Receipts receipts = new Receipts();
        TaskAnnouncements announcements = new TaskAnnouncements();
        ReviewRequests reviews = new ReviewRequests();
        Escalation escalation = new Escalation();
        try (BusConnection.Redis redis = connection.redis(topology.selected());
                AgentBus bus = redis.connect(BusOptions.defaults())) {
            // On a shared Redis, what an earlier run left pending or dead-lettered stays; only ours counts.
            Map<AgentId, Long> pendingBefore = pendingByAgent(bus, department);
            Map<AgentId, Long> deadBefore = deadLettersByAgent(bus, department);
            List<Instance> instances = start(bus, department, receipts, announcements, reviews, escalation);
            boolean resolved;
            boolean answered;
            boolean heard;
            RuntimeException escalationFailure = null;
            boolean escalated;
            ProgressLine progress = new ProgressLine(err, () -> progress(receipts, reviews), PROGRESS_PERIOD);
            try {
                sendAll(bus, department, receipts, announcements);
                resolved = await(() -> receipts.unresolvedCount() == 0, DELIVERY_DEADLINE);
                // Every request was made before its assignment counted as resolved; each ends by its timeout.
                answered = await(reviews::settled, ReviewRequests.TIMEOUT.plusSeconds(1));
                heard = await(announcements::settled, BROADCAST_DEADLINE);
                // On a quiet department, so that the backlog and the overtaking are the cmo's alone.
                try {
                    escalation.send(bus);
                } catch (RuntimeException e) {
                    escalationFailure = e;
                }
                escalated =
                        await(() -> escalation.escalationHandled() && escalation.backlogDrained(), ESCALATION_DEADLINE);
                // Then the acks, and the moves to dead letters, which acknowledge too, have reached Redis.
                await(() -> pendingLeft(bus, department, pendingBefore) == 0, ACK_DEADLINE);
            } finally {
                progress.close();
            }
            DeadLetterTally dead = deadLetters(bus, department, deadBefore);
            DemoReport report = DemoReport.of(
                    receipts,
                    pendingLeft(bus, department, pendingBefore),
                    dead.added(),
                    dead.messageIds(),
                    announcements,
                    reviews,
                    escalation);
            printHandled(err, instances);
            printDeadLetters(err, dead);
            printWarnings(err, receipts, resolved);
            printWarnings(err, announcements, heard, reviews, answered);
            printWarnings(err, escalation, escalated, escalationFailure);
            spec.commandLine().getOut().println(report.summaryLine());
            spec.commandLine().getOut().flush();
            printAuditTrail(err, bus, escalation);
            boolean ok = report.lost() == 0
                    && receipts.failedSendCount() == 0
                    && report.replies() == report.requests()
                    && escalationFailure == null
                    && escalation.overtook();
            return ok ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private String progress(Receipts receipts, ReviewRequests reviews) {
        return "sent " + receipts.sentCount() + "/" + messages + "  delivered " + receipts.deliveredCount()
                + "  retried " + receipts.retriedCount() + "  replies " + reviews.replies() + "/" + reviews.requests();
    }

    /** Subscribes every instance of every role; the specialists' instances listen to the announcements too. */
    private static List<Instance> start(
            AgentBus bus,
            Department department,
            Receipts receipts,
            TaskAnnouncements announcements,
            ReviewRequests reviews,
            Escalation escalation) {
        List<Instance> instances = new ArrayList<>();
        List<Department.Role> specialists = department.specialists();
        for (Department.Role role : department.roles()) {
            for (int number = 1; number <= role.instances(); number++) {
                LongAdder handled = new LongAdder();
                Subscription subscription =
                        bus.subscribe(role.id(), DELIVERY, handler(bus, receipts, reviews, escalation, handled));
                instances.add(new Instance(role.id(), number, subscription, handled));
                if (specialists.contains(role)) {
                    announcements.listen(bus);
                }
            }
        }
        return instances;
    }

    /**
     * Handles the escalation and its backlog ({@link Escalation}); answers a review request; otherwise records the run, then fails as the message's
     * {@link SimulatedFault} says, or succeeds, and then may ask for a review of the work.
     */
    private static MessageHandler handler(
            AgentBus bus, Receipts receipts, ReviewRequests reviews, Escalation escalation, LongAdder handled) {
        return delivery -> {
            handled.increment();
            if (escalation.handles(delivery)) {
                return;
            }
            if (ReviewRequests.isRequest(delivery.envelope())) {
                ReviewRequests.answer(delivery);
                return;
            }
            MessageId id = delivery.envelope().messageId();
            if (!receipts.received(id, delivery.attempt())) {
                return; // left by an earlier run: acknowledged, not followed
            }
            Optional<SimulatedFault> fault = SimulatedFault.of(delivery.envelope());
            try {
                fault.ifPresent(simulated -> simulated.actOn(delivery.attempt()));
            } catch (NonRetryableException e) {
                receipts.failed(id, false);
                throw e;
            } catch (RuntimeException e) {
                receipts.failed(id, delivery.attempt() < DELIVERY.maxAttempts());
                throw e;
            }
            if (ReviewRequests.asksAfter(delivery.envelope())) {
                // Before succeeded(): once every message is resolved, every request has been made.
                reviews.ask(bus, delivery.envelope());
            }
            receipts.succeeded(id);
        };
    }

    private void sendAll(AgentBus bus, Department department, Receipts receipts, TaskAnnouncements announcements)
            throws InterruptedException {
        Random random = new Random(TRAFFIC_SEED);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        for (int sequence = 1; sequence <= messages; sequence++) {
            Envelope message = department.message(sequence, random);
            inFlight.acquire();
            receipts.sending(message.messageId());
            bus.send(message).whenComplete((receipt, failure) -> {
                if (failure == null) {
                    receipts.sent(receipt.messageId());
                    if (TaskAnnouncements.announces(message)) {
                        announcements.announce(bus, message);
                    }
                } else {
                    receipts.sendFailed(failure);
                }
                inFlight.release();
            });
        }
        // Every send stage completes within the command timeout, so this wait ends.
        inFlight.acquire(MAX_IN_FLIGHT);
    }

    private static Map<AgentId, Long> pendingByAgent(AgentBus bus, Department department) {
        Map<AgentId, Long> pending = new LinkedHashMap<>();
        for (Department.Role role : department.roles()) {
            pending.put(role.id(), bus.sync().inbox(role.id()).pending());
        }
        return pending;
    }

    /** Entries this run read and has not acknowledged yet, over the whole department. */
    private static long pendingLeft(AgentBus bus, Department department, Map<AgentId, Long> before) {
        long left = 0;
        for (Map.Entry<AgentId, Long> now : pendingByAgent(bus, department).entrySet()) {
            left += Math.max(0, now.getValue() - before.get(now.getKey()));
        }
        return left;
    }

    private static Map<AgentId, Long> deadLettersByAgent(AgentBus bus, Department department) {
        Map<AgentId, Long> counts = new LinkedHashMap<>();
        for (Department.Role role : department.roles()) {
            counts.put(role.id(), bus.deadLetters(role.id()).count());
        }
        return counts;
    }

    private static DeadLetterTally deadLetters(AgentBus bus, Department department, Map<AgentId, Long> before) {
        Map<AgentId, Long> added = new LinkedHashMap<>();
        Set<MessageId> messageIds = new HashSet<>();
        for (Department.Role role : department.roles()) {
            DeadLetters deadLetters = bus.deadLetters(role.id());
            long count = deadLetters.count();
            added.put(role.id(), Math.max(0, count - before.get(role.id())));
            if (count > 0) {
                deadLetters
                        .list((int) Math.min(count, Integer.MAX_VALUE))
                        .forEach(dead -> dead.envelope().ifPresent(envelope -> messageIds.add(envelope.messageId())));
            }
        }
        return new DeadLetterTally(added, messageIds);
    }

    static boolean await(BooleanSupplier condition, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.sleep(POLL_PERIOD.toMillis());
        }
        return true;
    }

    private static void printHandled(PrintWriter err, List<Instance> instances) {
        err.println("handler runs of each running instance:");
        for (Instance instance : instances) {
            err.printf(
                    "  %-24s %6d  consumer %s%n",
                    instance.agent() + "#" + instance.number(),
                    instance.handled().sum(),
                    instance.subscription().consumer());
        }
    }

    private static void printDeadLetters(PrintWriter err, DeadLetterTally dead) {
        if (dead.added() == 0) {
            return;
        }
        StringBuilder line = new StringBuilder("dead letters added:");
        dead.addedByAgent().forEach((agent, added) -> {
            if (added > 0) {
                line.append(' ').append(agent).append('=').append(added);
            }
        });
        err.println(line);
    }

    private static void printWarnings(PrintWriter err, Receipts receipts, boolean resolved) {
        if (!resolved) {
            err.printf(
                    "agentbus: gave up after %d s with %d sent messages neither handled nor given up on%n",
                    DELIVERY_DEADLINE.toSeconds(), receipts.unresolvedCount());
        }
        if (receipts.failedSendCount() > 0) {
            err.printf(
                    "agentbus: %d sends failed; the first: %s%n",
                    receipts.failedSendCount(), receipts.firstSendFailure().getMessage());
        }
        if (receipts.strangerCount() > 0) {
            err.printf(
                    "agentbus: also handled %d messages left in the inboxes by an earlier run%n",
                    receipts.strangerCount());
        }
        err.flush();
    }

    private static void printWarnings(
            PrintWriter err, TaskAnnouncements announcements, boolean heard, ReviewRequests reviews, boolean answered) {
        if (!heard) {
            err.printf(
                    "agentbus: the listenings handled %d of the %d deliveries of the broadcasts within %d s;"
                            + " a broadcast missed is gone%n",
                    announcements.receivers(), announcements.expectedReceivers(), BROADCAST_DEADLINE.toSeconds());
        }
        if (announcements.failedCount() > 0) {
            err.printf(
                    "agentbus: %d broadcasts failed; the first: %s%n",
                    announcements.failedCount(), announcements.firstFailure().getMessage());
        }
        if (!answered) {
            err.printf("agentbus: gave up waiting for %d review replies%n", reviews.waitingCount());
        }
        if (reviews.failedCount() > 0) {
            err.printf(
                    "agentbus: %d review requests got no reply; the first: %s%n",
                    reviews.failedCount(), reviews.firstFailure().getMessage());
        }
        err.flush();
    }

    private static void printWarnings(
            PrintWriter err, Escalation escalation, boolean escalated, RuntimeException failure) {
        if (failure != null) {
            err.printf("agentbus: sending the escalation or its backlog failed: %s%n", failure.getMessage());
        } else if (!escalated) {
            err.printf(
                    "agentbus: within %d s the %s %s the escalation and %s its backlog%n",
                    ESCALATION_DEADLINE.toSeconds(),
                    Escalation.AGENT,
                    escalation.escalationHandled() ? "handled" : "did not handle",
                    escalation.backlogDrained() ? "drained" : "did not drain");
        }
        if (escalation.escalationHandled() && !escalation.overtook()) {
            err.printf(
                    "agentbus: the escalation did not overtake the backlog: %d reports waited when it was sent,"
                            + " none when it was handled%n",
                    escalation.backlog());
        }
        err.flush();
    }

    /** After the summary line: the escalation conversation's audit records, once its send and ack are there. */
    private static void printAuditTrail(PrintWriter err, AgentBus bus, Escalation escalation)
            throws InterruptedException {
        String conversation = escalation.conversationId();
        AtomicReference<List<AuditEntry>> trail = new AtomicReference<>(List.of());
        boolean complete = await(
                () -> {
                    trail.set(escalation.auditTrail(bus));
                    return Escalation.complete(trail.get());
                },
                AUDIT_DEADLINE);
        // The URI comes without its password; an embedded Redis, announced as such, is gone when the demo exits.
        err.printf(
                "audit tail --conversation %s:   (./agentbus audit tail --conversation %s --redis %s shows the"
                        + " same, while that Redis runs)%n",
                conversation, conversation, bus.redisUri());
        trail.get().forEach(record -> err.println("  " + AuditFormat.line(record)));
        if (!complete) {
            err.printf(
                    "agentbus: after %d s the audit trail of %s has no sent or no acked record%n",
                    AUDIT_DEADLINE.toSeconds(), conversation);
        }
        err.flush();
    }
}
