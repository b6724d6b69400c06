package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.MessageId;
import org.junit.jupiter.api.Test;

class DemoReportTest {

    private final Receipts receipts = new Receipts();

    @Test
    void countsLostDuplicateAndUnacknowledgedMessagesFromTheReceipts() {
        MessageId once = sent("once");
        MessageId twice = sent("twice");
        MessageId never = sent("never");
        MessageId unacked = sent("unacked");
        receipts.received(once);
        receipts.received(twice);
        receipts.received(twice);
        receipts.received(unacked);

        DemoReport report = DemoReport.of(receipts, 1);

        assertThat(report.sent()).isEqualTo(4);
        assertThat(report.delivered()).isEqualTo(3);
        assertThat(report.acked()).isEqualTo(2);
        assertThat(report.lost()).isEqualTo(1);
        assertThat(report.duplicates()).isEqualTo(1);
        assertThat(receipts.lostCount()).isEqualTo(1);
        assertThat(never).isNotIn(once, twice, unacked);
    }

    @Test
    void aMessageThisRunDidNotSendIsAStrangerNotADelivery() {
        sent("mine");

        receipts.received(MessageId.of("left-by-an-earlier-run"));

        assertThat(receipts.strangerCount()).isEqualTo(1);
        assertThat(DemoReport.of(receipts, 0).delivered()).isZero();
    }

    @Test
    void aSendThatFailedIsNotCountedAsSent() {
        receipts.sending(MessageId.of("failed"));

        receipts.sendFailed(new java.util.concurrent.CompletionException(new IllegalStateException("redis down")));

        assertThat(DemoReport.of(receipts, 0).sent()).isZero();
        assertThat(receipts.failedSendCount()).isEqualTo(1);
        assertThat(receipts.firstSendFailure()).hasMessage("redis down");
    }

    @Test
    void summaryLineHasTheFieldsInOrderWithTwoDecimalLatencies() {
        DemoReport report = new DemoReport(2000, 2000, 1999, 0, 0, 3, 1.5, 12.345);

        assertThat(report.summaryLine()).isEqualTo(
                "sent=2000 delivered=2000 acked=1999 dead_lettered=0 lost=0 duplicates=3 p50_ms=1.50 p99_ms=12.35");
    }

    private MessageId sent(String id) {
        MessageId messageId = MessageId.of(id);
        receipts.sending(messageId);
        receipts.sent(messageId);
        return messageId;
    }
}
