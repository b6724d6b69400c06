package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentBusException;
import io.agentbus.BusListener;
import io.agentbus.BusUnavailableException;
import io.agentbus.Envelope;
import io.agentbus.RequestTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PendingRequestsTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    // Long enough to register the request before it expires, short enough to keep the test fast.
    private static final Duration SHORT = Duration.ofMillis(50);
    private static final Supplier<CompletionStage<?>> STORED = () -> CompletableFuture.completedFuture("1-0");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<Envelope> lateReplies = new CopyOnWriteArrayList<>();
    private final PendingRequests pending = new PendingRequests(
            new BusListener() {
                @Override
                public void lateReply(Envelope reply) {
                    lateReplies.add(reply);
                }
            },
            timer);

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void aReplyCompletesTheRequestItsCorrelationIdNames() throws Exception {
        Envelope request = request("req-1");
        CompletableFuture<Envelope> reply = pending.start(request, LONG, STORED).toCompletableFuture();

        boolean taken = pending.take(replyTo("req-1"));

        assertThat(taken).isTrue();
        assertThat(reply.get(5, TimeUnit.SECONDS).correlationId()).contains("req-1");
    }

    @Test
    void aMessageWithoutCorrelationIdOrForAnotherBusIsNotTaken() {
        pending.start(request("req-1"), LONG, STORED);

        boolean plain = pending.take(request("task-1"));
        boolean foreign = pending.take(replyTo("someone-elses-request"));

        assertThat(plain).isFalse();
        assertThat(foreign).isFalse();
    }

    @Test
    void aRequestWithoutReplyFailsWithRequestTimeoutExceptionAfterItsTimeout() {
        CompletableFuture<Envelope> reply =
                pending.start(request("req-1"), SHORT, STORED).toCompletableFuture();

        Throwable failure = catchFailure(reply);

        assertThat(failure).isInstanceOf(RequestTimeoutException.class);
        RequestTimeoutException timeout = (RequestTimeoutException) failure;
        assertThat(timeout.correlationId().value()).isEqualTo("req-1");
        assertThat(timeout.timeout()).isEqualTo(SHORT);
    }

    @Test
    void aLateReplyIsTakenAndReportedToTheListenerOnce() {
        CompletableFuture<Envelope> reply =
                pending.start(request("req-1"), SHORT, STORED).toCompletableFuture();
        catchFailure(reply);
        Envelope late = replyTo("req-1");

        boolean first = pending.take(late);
        boolean second = pending.take(late);

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThat(lateReplies).containsExactly(late);
    }

    @Test
    void aListenerThatThrowsOnALateReplyDoesNotStopTheReplyBeingTaken() {
        PendingRequests withThrowingListener = new PendingRequests(
                new BusListener() {
                    @Override
                    public void lateReply(Envelope reply) {
                        throw new IllegalStateException("listener bug");
                    }
                },
                timer);
        catchFailure(withThrowingListener.start(request("req-1"), SHORT, STORED).toCompletableFuture());

        boolean taken = withThrowingListener.take(replyTo("req-1"));

        assertThat(taken).isTrue();
    }

    @Test
    void aSecondRequestWithTheIdOfOneStillWaitingIsRefused() {
        pending.start(request("req-1"), LONG, STORED);

        assertThatThrownBy(() -> pending.start(request("req-1"), LONG, STORED))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("req-1");
    }

    @Test
    void aSendRefusedBeforeReachingRedisFailsTheRequestWithThatError() {
        IllegalStateException closed = new IllegalStateException("bus is closed");

        CompletableFuture<Envelope> reply = pending.start(request("req-1"), LONG, () -> {
                    throw closed;
                })
                .toCompletableFuture();

        assertThat(catchFailure(reply)).isSameAs(closed);
        assertThat(pending.take(replyTo("req-1"))).isFalse();
    }

    @Test
    void aFailedSendFailsTheRequestWithTheUnwrappedCause() {
        BusUnavailableException unavailable = new BusUnavailableException("send: Connection closed", null);

        CompletableFuture<Envelope> reply = pending.start(
                        request("req-1"),
                        LONG,
                        () -> CompletableFuture.failedFuture(new CompletionException(unavailable)))
                .toCompletableFuture();

        assertThat(catchFailure(reply)).isSameAs(unavailable);
    }

    @Test
    void closeFailsEveryWaitingRequestSayingTheBusClosed() {
        CompletableFuture<Envelope> first =
                pending.start(request("req-1"), LONG, STORED).toCompletableFuture();
        CompletableFuture<Envelope> second =
                pending.start(request("req-2"), LONG, STORED).toCompletableFuture();

        pending.close();

        assertThat(catchFailure(first))
                .isExactlyInstanceOf(AgentBusException.class)
                .hasMessageContaining("req-1");
        assertThat(catchFailure(second)).hasMessageContaining("req-2");
    }

    private static Envelope request(String id) {
        return Envelope.builder()
                .messageId(id)
                .from("cmo")
                .to("analyst")
                .type("question")
                .payload("{}")
                .build();
    }

    private static Envelope replyTo(String correlationId) {
        return Envelope.builder()
                .from("analyst")
                .to("cmo")
                .type("answer")
                .payload("{}")
                .correlationId(correlationId)
                .build();
    }

    /** The failure {@code reply} completes with, waiting for it with a deadline. */
    private static Throwable catchFailure(CompletableFuture<Envelope> reply) {
        try {
            reply.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the request did not fail within 5 s", e);
        }
        throw new AssertionError("the request succeeded: " + reply.join());
    }
}
