package io.agentbus.cli.demo;

import io.agentbus.MessageId;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * The demo's outcome, printed as its one summary line:
 * {@code sent=… delivered=… acked=… retried=… dead_lettered=… lost=… duplicates=… p50_ms=… p99_ms=…
 * broadcasts=… broadcast_receivers=… requests=… replies=… escalation_backlog=… escalation_overtaken=…}. The
 * first nine are about the direct messages; the next four about the broadcasts and requests that come on
 * top of them; the last two about the escalation that overtakes a backlog ({@link Escalation}).
 *
 * @param sent          sends Redis confirmed
 * @param delivered     distinct messages that reached a handler
 * @param acked         messages whose handler returned normally, not in dead letters, and no longer
 *                      pending in their inbox
 * @param retried       handler runs with an attempt above 1
 * @param deadLettered  dead letters the run added to the department's agents
 * @param lost          confirmed sends neither acknowledged nor in dead letters
 * @param duplicates    handler runs beyond the first and the retries of failures ({@link Receipts#duplicateCount()})
 * @param p50Millis     median latency from the send call to the start of the first handler run
 * @param p99Millis     99th percentile of the same
 * @param broadcasts          task announcements Redis accepted ({@link TaskAnnouncements})
 * @param broadcastReceivers  handler runs those announcements caused in the specialists' listenings
 * @param requests            review requests the copywriters made ({@link ReviewRequests})
 * @param replies             of those, the ones that got their reply in time
 * @param escalationBacklog   backlog messages waiting in the cmo's inbox when the escalation was sent
 * @param escalationOvertaken of those, the ones still unhandled when the escalation was handled
 */
record DemoReport(
        long sent,
        long delivered,
        long acked,
        long retried,
        long deadLettered,
        long lost,
        long duplicates,
        double p50Millis,
        double p99Millis,
        long broadcasts,
        long broadcastReceivers,
        long requests,
        long replies,
        long escalationBacklog,
        long escalationOvertaken) {

    private static final double NANOS_PER_MILLI = 1_000_000.0;

    /**
     * Reads the figures off {@code receipts} and what Redis holds at the end of the run.
     *
     * @param pendingLeft      entries this run left pending (delivered, not acknowledged) in the inboxes
     * @param deadLettered     dead letters the department's agents have now, less those they had before
     * @param deadLetteredIds  the message ids of the department's dead letters
     */
    static DemoReport of(
            Receipts receipts,
            long pendingLeft,
            long deadLettered,
            Set<MessageId> deadLetteredIds,
            TaskAnnouncements announcements,
            ReviewRequests reviews,
            Escalation escalation) {
        Set<MessageId> sentIds = receipts.sentIds();
        Set<MessageId> sentAndDead = new HashSet<>(sentIds);
        sentAndDead.retainAll(deadLetteredIds);
        Set<MessageId> succeeded = receipts.succeededIds();
        succeeded.retainAll(sentIds);
        succeeded.removeAll(deadLetteredIds);
        // Pending entries have no message id to hand; whatever is still pending is not acknowledged.
        long acked = Math.max(0, succeeded.size() - pendingLeft);
        Histogram latency = receipts.latency();
        return new DemoReport(
                sentIds.size(),
                receipts.deliveredCount(),
                acked,
                receipts.retriedCount(),
                deadLettered,
                Math.max(0, sentIds.size() - acked - sentAndDead.size()),
                receipts.duplicateCount(),
                latency.getValueAtPercentile(50) / NANOS_PER_MILLI,
                latency.getValueAtPercentile(99) / NANOS_PER_MILLI,
                announcements.broadcasts(),
                announcements.receivers(),
                reviews.requests(),
                reviews.replies(),
                escalation.backlog(),
                escalation.overtaken());
    }

    String summaryLine() {
        return String.format(
                Locale.ROOT,
                "sent=%d delivered=%d acked=%d retried=%d dead_lettered=%d lost=%d"
                        + " duplicates=%d p50_ms=%.2f p99_ms=%.2f broadcasts=%d broadcast_receivers=%d requests=%d replies=%d"
                        + " escalation_backlog=%d escalation_overtaken=%d",
                sent,
                delivered,
                acked,
                retried,
                deadLettered,
                lost,
                duplicates,
                p50Millis,
                p99Millis,
                broadcasts,
                broadcastReceivers,
                requests,
                replies,
                escalationBacklog,
                escalationOvertaken);
    }
}
