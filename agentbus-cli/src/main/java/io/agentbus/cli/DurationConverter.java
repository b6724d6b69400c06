package io.agentbus.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads a duration as people type it: a whole number and a unit, {@code 500ms}, {@code 30s},
 * {@code 15m}, {@code 2h}, {@code 7d}, or ISO-8601 such as {@code PT15M} or {@code P7D}. Negative
 * durations are refused.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    /** For the help of options that take a duration. */
    public static final String FORMS =
            "a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 7d, or ISO-8601 such as PT15M";

    private static final Pattern SHORT = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");
    private static final Pattern ISO = Pattern.compile("[+-]?[Pp]");

    @Override
    public Duration convert(String text) {
        String value = text.strip();
        Matcher shortForm = SHORT.matcher(value.toLowerCase(Locale.ROOT));
        Duration duration;
        try {
            if (shortForm.matches()) {
                long amount = Long.parseLong(shortForm.group(1));
                duration = switch (shortForm.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            } else if (ISO.matcher(value).lookingAt()) {
                duration = Duration.parse(value);
            } else {
                throw invalid(text);
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            throw invalid(text);
        }
        try {
            duration.toMillis(); // what the bus computes with
        } catch (ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too long a duration");
        }
        if (duration.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + text + "' is negative; a duration must be >= 0");
        }
        return duration;
    }

    /**
     * The durations of an option that took a whole number of seconds before it took durations
     * ({@code receive --timeout}, {@code serve --timeout}): a bare number is still seconds, anything else
     * is read as by {@link DurationConverter}.
     */
    public static final class SecondsByDefault implements CommandLine.ITypeConverter<Duration> {

        /** For the help of such options. */
        public static final String FORMS = DurationConverter.FORMS + "; a bare number is seconds";

        private static final Pattern SECONDS = Pattern.compile("\\d{1,18}");

        @Override
        public Duration convert(String text) {
            String value = text.strip();
            return SECONDS.matcher(value).matches()
                    ? new DurationConverter().convert(value + "s")
                    : new DurationConverter().convert(text);
        }
    }

    private static CommandLine.TypeConversionException invalid(String text) {
        return new CommandLine.TypeConversionException("'" + text + "' is not a duration: use " + FORMS);
    }
}
