package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus demo}: runs the marketing {@link Department} on one bus, sends messages along its
 * org chart, and reports what the agents really received ({@link DemoReport}).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run a marketing department of 15 agents (16 instances: two copywriters share one inbox as"
                    + " competing consumers) and send N direct messages along its org chart: task"
                    + " assignments and feedback down, review requests and status updates up, handoffs"
                    + " between peers. Up to " + DemoCommand.MAX_IN_FLIGHT + " sends are in flight at once.",
            "Progress and the messages each running instance handled go to stderr. Stdout gets one line:",
            "  sent=… delivered=… acked=… dead_lettered=… lost=… duplicates=… p50_ms=… p99_ms=…",
            "delivered counts distinct messages that reached a handler, acked those no longer pending,"
                    + " lost the sent ones no handler saw; latency runs from the send call to the start of"
                    + " the handler. dead_lettered is always 0 for now: the bus does not yet report"
                    + " dead letters."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:Every sent message was delivered (lost=0).",
            ExpectedFailures.FAILED + ":Messages were lost, a send failed, or Redis failed.",
            ExpectedFailures.INVALID_INPUT_HELP})
final class DemoCommand implements Callable<Integer> {

    static final int DEFAULT_MESSAGES = 2000;
    /** Enough sends in flight to keep the pipeline to Redis full, few enough to bound memory. */
    static final int MAX_IN_FLIGHT = 500;
    private static final Duration PROGRESS_PERIOD = Duration.ofMillis(250);
    private static final Duration POLL_PERIOD = Duration.ofMillis(20);
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(30);
    private static final Duration ACK_DEADLINE = Duration.ofSeconds(10);
    /** A fixed seed: every run sends the same mix of messages, so runs compare. */
    private static final long TRAFFIC_SEED = 2025L;

    /** One running instance of a role, and how many messages its handler ran. */
    private record Instance(AgentId agent, int number, Subscription subscription, LongAdder handled) {
    }

    @ParentCommand
    private AgentBusCommand agentbus;

    @Spec
    private CommandSpec spec;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "" + DEFAULT_MESSAGES,
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
        try (AgentBus bus = agentbus.connect(BusOptions.defaults(), err)) {
            List<Instance> instances = start(bus, department, receipts);
            // On a shared Redis, entries an earlier run left pending stay pending; only ours count.
            // Read after subscribing, which creates any missing inbox: inspecting one that does not
            // exist fails.
            Map<AgentId, Long> pendingBefore = pendingByAgent(bus, department);
            boolean delivered;
            ProgressLine progress = new ProgressLine(err, () -> progress(receipts), PROGRESS_PERIOD);
            try {
                sendAll(bus, department, receipts);
                delivered = await(() -> receipts.lostCount() == 0, DELIVERY_DEADLINE);
                await(() -> pendingLeft(bus, department, pendingBefore) == 0, ACK_DEADLINE);
            } finally {
                progress.close();
            }
            DemoReport report = DemoReport.of(receipts, pendingLeft(bus, department, pendingBefore));
            printHandled(err, instances);
            printWarnings(err, receipts, delivered);
            spec.commandLine().getOut().println(report.summaryLine());
            return report.lost() == 0 && receipts.failedSendCount() == 0 ? 0 : ExpectedFailures.FAILED;
        }
    }

    private String progress(Receipts receipts) {
        return "sent " + receipts.sentCount() + "/" + messages + "  delivered " + receipts.deliveredCount();
    }

    private static List<Instance> start(AgentBus bus, Department department, Receipts receipts) {
        List<Instance> instances = new ArrayList<>();
        for (Department.Role role : department.roles()) {
            for (int number = 1; number <= role.instances(); number++) {
                LongAdder handled = new LongAdder();
                Subscription subscription = bus.subscribe(role.id(), delivery -> {
                    receipts.received(delivery.envelope().messageId());
                    handled.increment();
                });
                instances.add(new Instance(role.id(), number, subscription, handled));
            }
        }
        return instances;
    }

    private void sendAll(AgentBus bus, Department department, Receipts receipts) throws InterruptedException {
        Random random = new Random(TRAFFIC_SEED);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        for (int sequence = 1; sequence <= messages; sequence++) {
            Envelope message = department.message(sequence, random);
            inFlight.acquire();
            receipts.sending(message.messageId());
            bus.send(message).whenComplete((receipt, failure) -> {
                if (failure == null) {
                    receipts.sent(receipt.messageId());
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

    private static boolean await(BooleanSupplier condition, Duration deadline) throws InterruptedException {
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
        err.println("handled by each running instance:");
        for (Instance instance : instances) {
            err.printf("  %-24s %6d  consumer %s%n", instance.agent() + "#" + instance.number(),
                    instance.handled().sum(), instance.subscription().consumer());
        }
    }

    private static void printWarnings(PrintWriter err, Receipts receipts, boolean delivered) {
        if (!delivered) {
            err.printf("agentbus: gave up after %d s with %d sent messages not delivered%n",
                    DELIVERY_DEADLINE.toSeconds(), receipts.lostCount());
        }
        if (receipts.failedSendCount() > 0) {
            err.printf("agentbus: %d sends failed; the first: %s%n",
                    receipts.failedSendCount(), receipts.firstSendFailure().getMessage());
        }
        if (receipts.strangerCount() > 0) {
            err.printf("agentbus: also handled %d messages left in the inboxes by an earlier run%n",
                    receipts.strangerCount());
        }
        err.flush();
    }
}
