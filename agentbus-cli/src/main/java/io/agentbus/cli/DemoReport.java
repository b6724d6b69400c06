package io.agentbus.cli;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The demo's outcome, printed as its one summary line:
 * {@code sent=… delivered=… acked=… dead_lettered=… lost=… duplicates=… p50_ms=… p99_ms=…}.
 *
 * @param sent          sends Redis confirmed
 * @param delivered     distinct messages that reached a handler
 * @param acked         delivered messages no longer pending in their inbox
 * @param deadLettered  always 0 for now: the public API offers no dead-letter figure to observe
 * @param lost          confirmed sends that no handler saw
 * @param duplicates    receipts beyond the first per message
 * @param p50Millis     median latency from the send call to the start of the handler
 * @param p99Millis     99th percentile of the same
 */
record DemoReport(long sent, long delivered, long acked, long deadLettered, long lost, long duplicates,
                  double p50Millis, double p99Millis) {

    private static final double NANOS_PER_MILLI = 1_000_000.0;

    /**
     * Reads the figures off {@code receipts}; {@code pendingLeft} is how many entries this run left
     * pending (delivered, not acknowledged) in the department's inboxes.
     */
    static DemoReport of(Receipts receipts, long pendingLeft) {
        long delivered = receipts.deliveredCount();
        Histogram latency = receipts.latency();
        return new DemoReport(
                receipts.sentCount(),
                delivered,
                Math.max(0, delivered - pendingLeft),
                0,
                receipts.lostCount(),
                receipts.duplicateCount(),
                latency.getValueAtPercentile(50) / NANOS_PER_MILLI,
                latency.getValueAtPercentile(99) / NANOS_PER_MILLI);
    }

    String summaryLine() {
        return String.format(Locale.ROOT,
                "sent=%d delivered=%d acked=%d dead_lettered=%d lost=%d duplicates=%d p50_ms=%.2f p99_ms=%.2f",
                sent, delivered, acked, deadLettered, lost, duplicates, p50Millis, p99Millis);
    }
}
