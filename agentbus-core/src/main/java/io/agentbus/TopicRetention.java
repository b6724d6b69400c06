package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * How much of a durable topic Redis keeps. An entry goes when it is beyond {@code maxLength} (the
 * newest are kept) or older than {@code maxAge}, and never while a subscriber group has not
 * received it or still holds it pending: an offline group holds the topic back until it returns.
 *
 * @param maxLength the most entries kept; {@code 0} for no limit by length
 * @param maxAge    the oldest entry kept; {@link Duration#ZERO} for no limit by age
 */
public record TopicRetention(long maxLength, Duration maxAge) {

    /** The retention of a topic opened without one: the newest 100,000 entries. */
    public static final TopicRetention DEFAULT = new TopicRetention(100_000, Duration.ZERO);
    /** Publishes through one {@link DurableTopic} handle between two automatic trims. */
    public static final int TRIM_EVERY = 1_000;

    public TopicRetention {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0, was " + maxLength);
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be >= 0, was " + maxAge);
        }
    }

    public static TopicRetention maxLength(long maxLength) {
        return new TopicRetention(maxLength, Duration.ZERO);
    }

    public static TopicRetention maxAge(Duration maxAge) {
        return new TopicRetention(0, maxAge);
    }
}
