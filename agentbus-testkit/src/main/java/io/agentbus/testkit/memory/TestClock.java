package io.agentbus.testkit.memory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when a test moves it: give it to {@link InMemoryAgentBus.Builder#clock} and
 * {@link #advance} drives what the in-memory bus times (delayed sends, TTLs, visibility timeouts,
 * retry backoff, the dedup window, request timeouts, swarm state and coordinator TTLs), so a test of
 * an hour's timeout runs in milliseconds and never sleeps. Thread-safe.
 *
 * <pre>{@code
 * TestClock clock = TestClock.at(Instant.parse("2025-01-01T09:00:00Z"));
 * try (InMemoryAgentBus bus = InMemoryAgentBus.builder().clock(clock).build()) {
 *     bus.sync().send(reminder, Duration.ofHours(1));
 *     clock.advance(Duration.ofHours(1));
 *     bus.awaitIdle(Duration.ofSeconds(5));   // the reminder was handled
 * }
 * }</pre>
 */
public final class TestClock extends Clock {

    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private TestClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** A clock standing at {@code start}, in UTC. */
    public static TestClock at(Instant start) {
        return new TestClock(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
    }

    /** A clock standing at the system's time now, truncated to the millisecond as the bus keeps times. */
    public static TestClock startingNow() {
        return at(Instant.ofEpochMilli(System.currentTimeMillis()));
    }

    /** Moves the clock forward by {@code step}; returns the new time. */
    public Instant advance(Duration step) {
        Objects.requireNonNull(step, "step");
        if (step.isNegative()) {
            throw new IllegalArgumentException("a test clock only moves forward, was asked to move " + step);
        }
        return now.updateAndGet(current -> current.plus(step));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** The same clock (moving together) seen in another zone. */
    @Override
    public Clock withZone(ZoneId otherZone) {
        return new TestClock(now, Objects.requireNonNull(otherZone, "zone"));
    }

    @Override
    public String toString() {
        return "TestClock[" + now.get() + "]";
    }
}
