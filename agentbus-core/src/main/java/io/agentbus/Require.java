package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * The checks the options records share, so that a rule reads the same in a builder setter (which
 * fails at once) and in the record's constructor (which guards direct construction); each message
 * names the setting and the bad value, as Caffeine's {@code requireArgument} does.
 */
final class Require {

    private Require() {}

    static Duration positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
        return value;
    }

    static Duration nonNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    static long atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    /** {@code max >= min}, both positive. */
    static void range(String minName, Duration min, String maxName, Duration max) {
        positive(minName, min);
        positive(maxName, max);
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException(maxName + " " + max + " must be >= " + minName + " " + min);
        }
    }
}
