package io.agentbus.cli;

import java.time.Duration;

/**
 * Messages per second between two {@link BusStatsSnapshot}s, from the deltas of the summed {@code sent} and
 * {@code acked} counters. The counters live in Redis, so the rate covers every process on the bus, not just
 * the one measuring.
 */
public record MessageRate(double sentPerSecond, double ackedPerSecond, Duration window) {

    /** No rate yet: a single snapshot, or two taken at the same instant. */
    public static final MessageRate UNKNOWN = new MessageRate(0, 0, Duration.ZERO);

    /** The rate from {@code earlier} to {@code later}; {@link #UNKNOWN} if no time passed between them. */
    public static MessageRate between(BusStatsSnapshot earlier, BusStatsSnapshot later) {
        long nanos = later.nanoTime() - earlier.nanoTime();
        if (nanos <= 0) {
            return UNKNOWN;
        }
        double seconds = nanos / 1e9;
        // Clamped at 0: a counter can only shrink if someone deleted its hash, which is no negative traffic.
        long sent = Math.max(
                0, later.totalCounters().sent() - earlier.totalCounters().sent());
        long acked = Math.max(
                0, later.totalCounters().acked() - earlier.totalCounters().acked());
        return new MessageRate(sent / seconds, acked / seconds, Duration.ofNanos(nanos));
    }
}
