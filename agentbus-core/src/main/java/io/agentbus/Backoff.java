package io.agentbus;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a failed delivery waits before its next attempt.
 *
 * @param initial delay before the second attempt (fixed: every attempt)
 * @param max     cap on the delay
 * @param exponential whether the delay doubles with each attempt; exponential delays use full
 *                jitter (a uniform random delay between zero and the capped exponential value),
 *                which spreads retries of many failed messages instead of synchronising them
 */
public record Backoff(Duration initial, Duration max, boolean exponential) {

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative()) {
            throw new IllegalArgumentException("backoff initial delay must be >= 0, was " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff max " + max + " must be >= initial " + initial);
        }
    }

    /** The same delay before every retry. */
    public static Backoff fixed(Duration delay) {
        return new Backoff(delay, delay, false);
    }

    /** {@code initial * 2^(attempt-1)}, capped at {@code max}, with full jitter. */
    public static Backoff exponential(Duration initial, Duration max) {
        return new Backoff(initial, max, true);
    }

    /** The delay after the failure of delivery {@code attempt} (1-based). */
    public Duration delayAfter(int attempt) {
        if (!exponential) {
            return initial;
        }
        long ceiling = initial.toMillis() << Math.min(Math.max(attempt - 1, 0), 30);
        long capped = Math.min(max.toMillis(), ceiling < 0 ? Long.MAX_VALUE : ceiling);
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(capped + 1));
    }
}
