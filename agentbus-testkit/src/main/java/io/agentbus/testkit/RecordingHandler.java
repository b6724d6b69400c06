package io.agentbus.testkit;

import io.agentbus.Delivery;
import io.agentbus.MessageHandler;
import io.agentbus.MessageId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A handler that records every delivery it sees and lets a test wait for them with a deadline (no
 * sleeps). Optionally fails every delivery, to leave messages pending.
 */
public final class RecordingHandler implements MessageHandler {

    private final List<Delivery> deliveries = new ArrayList<>();
    private final Map<MessageId, Integer> timesSeen = new ConcurrentHashMap<>();
    private final Exception failure;

    private RecordingHandler(Exception failure) {
        this.failure = failure;
    }

    /** Records and returns normally, so every delivery is acknowledged. */
    public static RecordingHandler acking() {
        return new RecordingHandler(null);
    }

    /** Records and throws {@code failure}, so every delivery stays pending. */
    public static RecordingHandler throwing(Exception failure) {
        return new RecordingHandler(failure);
    }

    @Override
    public void handle(Delivery delivery) throws Exception {
        synchronized (this) {
            deliveries.add(delivery);
            notifyAll();
        }
        timesSeen.merge(delivery.envelope().messageId(), 1, Integer::sum);
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits until at least {@code count} deliveries were recorded; returns a copy of all of them. */
    public synchronized List<Delivery> await(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (deliveries.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(
                        "expected " + count + " deliveries within " + timeout + ", got " + deliveries.size());
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return List.copyOf(deliveries);
    }

    public synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** How many times each message id was delivered to this handler. */
    public Map<MessageId, Integer> timesSeen() {
        return Map.copyOf(timesSeen);
    }
}
