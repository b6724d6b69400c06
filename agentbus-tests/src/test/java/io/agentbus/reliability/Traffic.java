package io.agentbus.reliability;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusUnavailableException;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import java.time.Duration;
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
 * bus acknowledged, what reached a handler, and how long callers were blocked.
 */
final class Traffic implements AutoCloseable {

    /** What the producer does when a send fails. */
    enum OnFailure {
        GIVE_UP,
        RETRY_SAME_ID
    }

    private final AgentBus bus;
    private final AgentId to;
    private final OnFailure onFailure;
    private final ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong sequence = new AtomicLong();
    private final Set<MessageId> attempted = ConcurrentHashMap.newKeySet();
    private final Set<MessageId> acknowledged = ConcurrentHashMap.newKeySet();
    private final Map<MessageId, Integer> delivered = new ConcurrentHashMap<>();
    private final AtomicLong rejected = new AtomicLong();
    private final LongAccumulator maxBlockedNanos = new LongAccumulator(Math::max, 0);
    private final Queue<Long> ackNanos = new ConcurrentLinkedQueue<>();
    private final LongAccumulator maxRejectNanos = new LongAccumulator(Math::max, 0);

    Traffic(AgentBus bus, AgentId to, OnFailure onFailure) {
        this.bus = bus;
        this.to = to;
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

    private void sendNext() {
        Envelope message = Envelope.builder()
                .from("producer")
                .to(to)
                .type("tick")
                .payload(Map.of("n", sequence.incrementAndGet()))
                .build();
        attempted.add(message.messageId());
        send(message);
    }

    private void send(Envelope message) {
        long started = System.nanoTime();
        try {
            bus.send(message).whenComplete((receipt, failure) -> {
                maxBlockedNanos.accumulate(System.nanoTime() - started);
                if (failure == null) {
                    acknowledged.add(message.messageId());
                    ackNanos.add(System.nanoTime());
                } else {
                    maxRejectNanos.accumulate(System.nanoTime() - started);
                    failed(message);
                }
            });
        } catch (BusUnavailableException e) {
            maxBlockedNanos.accumulate(System.nanoTime() - started);
            maxRejectNanos.accumulate(System.nanoTime() - started);
            failed(message);
        }
    }

    private void failed(Envelope message) {
        rejected.incrementAndGet();
        if (onFailure == OnFailure.RETRY_SAME_ID && !producer.isShutdown()) {
            producer.schedule(() -> send(message), 50, TimeUnit.MILLISECONDS);
        }
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
        return delivered.keySet().stream().filter(id -> !attempted.contains(id)).count();
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

    /** Sends acknowledged between two {@link System#nanoTime()} instants. */
    long acknowledgedBetween(long fromNanos, long toNanos) {
        return ackNanos.stream()
                .filter(at -> at - fromNanos >= 0 && toNanos - at > 0)
                .count();
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
