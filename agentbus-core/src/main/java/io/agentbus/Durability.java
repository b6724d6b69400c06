package io.agentbus;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What "send returned" promises (docs/OPERATIONS.md). The bus checks at start-up that the server can
 * honour it ({@code appendonly}, {@code appendfsync}) and warns, or refuses with
 * {@link SendOptions.Builder#strictDurability(boolean)}.
 *
 * @param mode        the promise
 * @param replicas    for {@link Mode#WAIT}: replicas that must confirm each send
 * @param waitTimeout for {@link Mode#WAIT}: how long a send waits for them
 */
public record Durability(Mode mode, int replicas, Duration waitTimeout) {

    /** The promises, from weakest to strongest on one server. */
    public enum Mode {
        /** In the server's memory: lost if the server dies before its next snapshot (Redis defaults). */
        MEMORY,
        /** In the append-only file, fsynced within about a second: a crash loses up to ~1 s of sends. */
        AOF_EVERYSEC,
        /** In the append-only file, fsynced before Redis replied: survives a server crash. */
        AOF_ALWAYS,
        /** Copied to {@code replicas} replicas (Redis {@code WAIT}) before the send completes. */
        WAIT
    }

    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(1);

    public static final Durability MEMORY = new Durability(Mode.MEMORY, 0, Duration.ZERO);
    public static final Durability AOF_EVERYSEC = new Durability(Mode.AOF_EVERYSEC, 0, Duration.ZERO);
    public static final Durability AOF_ALWAYS = new Durability(Mode.AOF_ALWAYS, 0, Duration.ZERO);

    public Durability {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(waitTimeout, "waitTimeout");
        if (mode == Mode.WAIT && (replicas < 1 || waitTimeout.isNegative() || waitTimeout.isZero())) {
            throw new IllegalArgumentException("wait durability needs replicas >= 1 and a positive timeout, was "
                    + replicas + " and " + waitTimeout);
        }
    }

    /** Every send waits until {@code replicas} replicas have it, at most {@code timeout}. */
    public static Durability waitFor(int replicas, Duration timeout) {
        return new Durability(Mode.WAIT, replicas, timeout);
    }

    /** Parses {@code memory}, {@code aof-everysec}, {@code aof-always} or {@code wait:N}. */
    public static Durability parse(String text) {
        String value = Objects.requireNonNull(text, "durability").trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "memory":
                return MEMORY;
            case "aof-everysec":
                return AOF_EVERYSEC;
            case "aof-always":
                return AOF_ALWAYS;
            default:
                if (value.startsWith("wait:")) {
                    try {
                        return waitFor(Integer.parseInt(value.substring(5)), DEFAULT_WAIT_TIMEOUT);
                    } catch (NumberFormatException e) {
                        // fall through to the error below
                    }
                }
                throw new IllegalArgumentException(
                        "durability must be memory, aof-everysec, aof-always or wait:N," + " was '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return mode == Mode.WAIT
                ? "wait:" + replicas
                : mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
