package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.MessageId;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class DemoReportTest {

    private static final TaskAnnouncements ANNOUNCEMENTS = new TaskAnnouncements();
    private static final ReviewRequests REVIEWS = new ReviewRequests();

    private final Receipts receipts = new Receipts();

    @Test
    void countsAckedRetriedLostAndDuplicateMessagesFromTheReceiptsAndTheDeadLetters() {
        MessageId once = succeedsOn(sent("once"), 1);
        MessageId transientFailure = sent("transient");
        receipts.received(transientFailure, 1);
        receipts.failed(transientFailure, true);
        receipts.received(transientFailure, 2);
        receipts.failed(transientFailure, true);
        succeedsOn(transientFailure, 3);
        MessageId poison = sent("poison");
        receipts.received(poison, 1);
        receipts.failed(poison, false);
        MessageId twice = succeedsOn(succeedsOn(sent("twice"), 1), 2);
        sent("never");
        succeedsOn(sent("unacked"), 1);

        DemoReport report = DemoReport.of(receipts, 1, 1, Set.of(poison), ANNOUNCEMENTS, REVIEWS, new Escalation());

        assertThat(report.sent()).isEqualTo(6);
        assertThat(report.delivered()).isEqualTo(5);
        // once, transient, twice and unacked succeeded; one of them is still pending.
        assertThat(report.acked()).isEqualTo(3);
        assertThat(report.retried()).isEqualTo(3);
        assertThat(report.deadLettered()).isEqualTo(1);
        // never, and the one still pending.
        assertThat(report.lost()).isEqualTo(2);
        // twice ran again after it succeeded; transient ran three times, as its two failures asked.
        assertThat(report.duplicates()).isEqualTo(1);
        assertThat(once).isNotIn(twice, poison);
    }

    @Test
    void aMessageInDeadLettersIsNotAckedEvenIfAHandlerOnceSucceeded() {
        MessageId both = succeedsOn(sent("both"), 1);

        DemoReport report = DemoReport.of(receipts, 0, 1, Set.of(both), ANNOUNCEMENTS, REVIEWS, new Escalation());

        assertThat(report.acked()).isZero();
        assertThat(report.lost()).isZero();
    }

    @Test
    void aMessageIsResolvedOnceItSucceededOrWasGivenUpNotWhileAwaitingARetry() {
        MessageId retrying = sent("retrying");
        MessageId givenUp = sent("given-up");
        sent("unseen");
        receipts.received(retrying, 1);
        receipts.failed(retrying, true);
        receipts.received(givenUp, 4);
        receipts.failed(givenUp, false);

        assertThat(receipts.unresolvedCount()).isEqualTo(2);
        succeedsOn(retrying, 2);
        assertThat(receipts.unresolvedCount()).isEqualTo(1);
    }

    @Test
    void aMessageThisRunDidNotSendIsAStrangerNotADelivery() {
        sent("mine");

        boolean ours = receipts.received(MessageId.of("left-by-an-earlier-run"), 1);

        assertThat(ours).isFalse();
        assertThat(receipts.strangerCount()).isEqualTo(1);
        assertThat(DemoReport.of(receipts, 0, 0, Set.of(), ANNOUNCEMENTS, REVIEWS, new Escalation())
                        .delivered())
                .isZero();
    }

    @Test
    void aSendThatFailedIsNotCountedAsSent() {
        receipts.sending(MessageId.of("failed"));

        receipts.sendFailed(new CompletionException(new IllegalStateException("redis down")));

        assertThat(DemoReport.of(receipts, 0, 0, Set.of(), ANNOUNCEMENTS, REVIEWS, new Escalation())
                        .sent())
                .isZero();
        assertThat(receipts.failedSendCount()).isEqualTo(1);
        assertThat(receipts.firstSendFailure()).hasMessage("redis down");
    }

    @Test
    void summaryLineHasTheFieldsInOrderWithTwoDecimalLatenciesThenTheBroadcastsAndRequestsThenTheEscalation() {
        DemoReport report = new DemoReport(2000, 2000, 1995, 52, 5, 0, 3, 1.5, 12.345, 420, 4620, 56, 56, 180, 75);

        assertThat(report.summaryLine())
                .isEqualTo("sent=2000 delivered=2000 acked=1995 retried=52 dead_lettered=5"
                        + " lost=0 duplicates=3 p50_ms=1.50 p99_ms=12.35 broadcasts=420 broadcast_receivers=4620"
                        + " requests=56 replies=56 escalation_backlog=180 escalation_overtaken=75");
    }

    @Test
    void anEscalationNeverSentReportsNoBacklogAndNoOvertaking() {
        DemoReport report = DemoReport.of(receipts, 0, 0, Set.of(), ANNOUNCEMENTS, REVIEWS, new Escalation());

        assertThat(report.escalationBacklog()).isZero();
        assertThat(report.escalationOvertaken()).isZero();
    }

    private MessageId sent(String id) {
        MessageId messageId = MessageId.of(id);
        receipts.sending(messageId);
        receipts.sent(messageId);
        return messageId;
    }

    private MessageId succeedsOn(MessageId id, int attempt) {
        receipts.received(id, attempt);
        receipts.succeeded(id);
        return id;
    }
}
