package io.agentbus.cli;

import java.time.Duration;

/**
 * Durations in the text a command prints for people, in the units {@link DurationConverter} reads:
 * {@code 250ms} under a second, else whole units from days to seconds, {@code 5s}, {@code 1m30s},
 * {@code 2h5m}, {@code 3d4h}; never {@code PT5S} nor a raw count of milliseconds. JSON keeps numbers.
 */
public final class HumanDuration {

    private HumanDuration() {}

    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
            return duration.toMillis() + "ms";
        }
        StringBuilder text = new StringBuilder();
        append(text, duration.toDaysPart(), "d");
        append(text, duration.toHoursPart(), "h");
        append(text, duration.toMinutesPart(), "m");
        append(text, duration.toSecondsPart(), "s");
        return text.toString();
    }

    private static void append(StringBuilder text, long amount, String unit) {
        if (amount != 0) {
            text.append(amount).append(unit);
        }
    }
}
