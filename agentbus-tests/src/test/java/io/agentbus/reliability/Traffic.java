package io.agentbus.reliability;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * A producer at a fixed rate and a recording consumer, for fault tests: what was attempted, what the
 * bus acknowledged, what reached a handler, and how long callers were blocked. With several
 * recipients it sends to each in turn, and its acknowledged sends are a ledger: message id to recipient.
 */
final class Traffic implements AutoCloseable {

    /** What the producer does when a send fails. */
    enum OnFailure {
        GIVE_UP,
        RETRY_SAME_ID
    }

    private final AgentBus bus;
    private final List<AgentId> recipients;
    private final OnFailure onFailure;
    private final ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<MessageId, AgentId> attempted = new ConcurrentHashMap<>();
    private final Map<MessageId, Long> firstAttemptMillis = new ConcurrentHashMap<>();
    private final Map<MessageId, Long> storedMillis = new ConcurrentHashMap<>();
    private volatile boolean sending = true;
    private final Set<MessageId> acknowledged = ConcurrentHashMap.newKeySet();
    private final Map<MessageId, Integer> delivered = new ConcurrentHashMap<>();
    private final AtomicLong rejected = new AtomicLong();
    private final LongAccumulator maxBlockedNanos = new LongAccumulator(Math::max, 0);
    private final Queue<Long> ackNanos = new ConcurrentLinkedQueue<>();
    private final LongAccumulator maxRejectNanos = new LongAccumulator(Math::max, 0);
    private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();

    /** One failed send: when it failed ({@link System#nanoTime()}) and the exception's message chain. */
    record Failure(long atNanos, String why) {}

    Traffic(AgentBus bus, AgentId to, OnFailure onFailure) {
        this(bus, List.of(to), onFailure);
    }

    /** Sends to each of {@code recipients} in turn. */
    Traffic(AgentBus bus, List<AgentId> recipients, OnFailure onFailure) {
        this.bus = bus;
        this.recipients = List.copyOf(recipients);
        this.onFailure = onFailure;
    }

    /** The consumer side: records each delivery. */
    MessageHandler recorder() {
        return delivery -> {
            delivered.merge(delivery.envelope().messageId(), 1, Integer::sum);
        };
    }

    void start(int perSecond) {
        producer.scheduleAtFixedRate(this::sendNext, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
    }

    void stop() throws InterruptedException {
        producer.shutdown();
        producer.awaitTermination(10, TimeUnit.SECONDS);
    }

    /**
     * Starts no new message, waits until every message attempted so far is acknowledged (with
     * {@link OnFailure#RETRY_SAME_ID}, failed sends go on being retried meanwhile), then stops.
     *
     * @return whether every attempted message was acknowledged within {@code timeout}
     */
    boolean finish(Duration timeout) throws InterruptedException {
        sending = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged.size() < attempted.size() && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
        }
        boolean settled = acknowledged.size() == attempted.size();
        stop();
        return settled;
    }

    private void sendNext() {
        if (!sending) {
            return;
        }
        long n = sequence.incrementAndGet();
        AgentId to = recipients.get((int) (n % recipients.size()));
        Envelope message = Envelope.builder()
                .from("producer")
                .to(to)
                .type("tick")
                .payload(Map.of("n", n))
                .build();
        attempted.put(message.messageId(), to);
        firstAttemptMillis.put(message.messageId(), System.currentTimeMillis());
        send(message);
    }

    private void send(Envelope message) {
        long started = System.nanoTime();
        try {
            bus.send(message).whenComplete((receipt, failure) -> {
                maxBlockedNanos.accumulate(System.nanoTime() - started);
                if (failure == null) {
                    storedMillis.putIfAbsent(message.messageId(), System.currentTimeMillis());
                    acknowledged.add(message.messageId());
                    ackNanos.add(System.nanoTime());
                } else {
                    maxRejectNanos.accumulate(System.nanoTime() - started);
                    failed(message, failure);
                }
            });
        } catch (AgentBusException e) { // BusUnavailableException, or any other way the world failed
            maxBlockedNanos.accumulate(System.nanoTime() - started);
            maxRejectNanos.accumulate(System.nanoTime() - started);
            failed(message, e);
        }
    }

    private void failed(Envelope message, Throwable failure) {
        StringBuilder why = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            why.append(cause).append(" / ");
        }
        failures.add(new Failure(System.nanoTime(), why.toString()));
        rejected.incrementAndGet();
        if (onFailure == OnFailure.RETRY_SAME_ID && !producer.isShutdown()) {
            producer.schedule(() -> send(message), 50, TimeUnit.MILLISECONDS);
        }
    }

    /** The ledger: every message whose send was acknowledged, and its recipient. */
    Map<MessageId, AgentId> ledger() {
        Map<MessageId, AgentId> ledger = new HashMap<>();
        acknowledged.forEach(id -> ledger.put(id, attempted.get(id)));
        return ledger;
    }

    /** When the producer first tried to send {@code id} (epoch ms), retries not counted. */
    long firstAttemptMillis(MessageId id) {
        return firstAttemptMillis.get(id);
    }

    /** When a send of {@code id} was first acknowledged (epoch ms): stored in Redis. */
    long storedMillis(MessageId id) {
        return storedMillis.get(id);
    }

    long attempts() {
        return attempted.size();
    }

    long acknowledged() {
        return acknowledged.size();
    }

    long rejected() {
        return rejected.get();
    }

    long deliveredUnique() {
        return delivered.size();
    }

    /** Acknowledged sends that no handler saw. */
    long lost() {
        return acknowledged.stream().filter(id -> !delivered.containsKey(id)).count();
    }

    /** Deliveries beyond the first of a message. */
    long duplicated() {
        return delivered.values().stream().mapToLong(times -> times - 1).sum();
    }

    /** Deliveries of ids never attempted. */
    long unexpected() {
        return delivered.keySet().stream()
                .filter(id -> !attempted.containsKey(id))
                .count();
    }

    /** Whether everything acknowledged has been delivered. */
    boolean caughtUp() {
        return lost() == 0;
    }

    Duration maxBlocked() {
        return Duration.ofNanos(maxBlockedNanos.get());
    }

    /** How long the slowest failed send took to fail. */
    Duration maxRejectLatency() {
        return Duration.ofNanos(maxRejectNanos.get());
    }

    /** Every failed send so far, in order. */
    List<Failure> failures() {
        return List.copyOf(failures);
    }

    /** Sends acknowledged between two {@link System#nanoTime()} instants. */
    long acknowledgedBetween(long fromNanos, long toNanos) {
        return ackNanos.stream()
                .filter(at -> at - fromNanos >= 0 && toNanos - at > 0)
                .count();
    }

    /**
     * The longest time between two acknowledgements in {@code [fromNanos, toNanos]}, the bounds counted
     * as acknowledgements: how long senders saw the bus unavailable in that window.
     */
    Duration longestAckGap(long fromNanos, long toNanos) {
        long[] inWindow = ackNanos.stream()
                .mapToLong(Long::longValue)
                .filter(at -> at - fromNanos >= 0 && toNanos - at >= 0)
                .sorted()
                .toArray();
        long previous = fromNanos;
        long longest = 0;
        for (long at : inWindow) {
            longest = Math.max(longest, at - previous);
            previous = at;
        }
        return Duration.ofNanos(Math.max(longest, toNanos - previous));
    }

    /** The first acknowledgement at or after {@code fromNanos}, if any. */
    OptionalLong firstAckAfter(long fromNanos) {
        return ackNanos.stream()
                .mapToLong(Long::longValue)
                .filter(at -> at - fromNanos >= 0)
                .min();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
