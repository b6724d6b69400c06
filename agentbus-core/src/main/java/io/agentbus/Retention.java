package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * How much of a stream (a durable topic, or an inbox's handled messages) Redis keeps. An entry goes
 * when it is beyond {@code maxLength} (the newest are kept) or older than {@code maxAge}, and never
 * while a consumer group has not received it or still holds it pending: an offline subscriber group,
 * or a backlog, holds the stream back until it is handled.
 *
 * @param maxLength the most entries kept; {@code 0} for no limit by length
 * @param maxAge    the oldest entry kept; {@link Duration#ZERO} for no limit by age
 */
public record Retention(long maxLength, Duration maxAge) {

    /** The retention of a topic opened without one: the newest 100,000 entries. */
    public static final Retention DEFAULT = new Retention(100_000, Duration.ZERO);

    public Retention {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0, was " + maxLength);
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be >= 0, was " + maxAge);
        }
    }

    public static Retention maxLength(long maxLength) {
        return new Retention(maxLength, Duration.ZERO);
    }

    public static Retention maxAge(Duration maxAge) {
        return new Retention(0, maxAge);
    }
}
