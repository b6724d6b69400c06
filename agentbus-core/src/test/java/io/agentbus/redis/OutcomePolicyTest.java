package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.Backoff;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import io.agentbus.deadletter.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OutcomePolicyTest {

    private static final Duration BACKOFF = Duration.ofMillis(250);
    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    private final OutcomePolicy policy = new OutcomePolicy(
            DeliveryOptions.builder()
                    .maxAttempts(3)
                    .backoff(Backoff.fixed(BACKOFF))
                    .build(),
            1 << 20);

    @Test
    void validEntryIsHandedToTheHandler() {
        Envelope task = task().build();

        OutcomePolicy.Outcome outcome = policy.onRead(body(task), null, 1, NOW);

        assertThat(outcome).isEqualTo(new OutcomePolicy.Handle(task));
    }

    @Test
    void entryThatIsNotAnEnvelopeGoesToDeadLettersNamingTheField() {
        Map<String, byte[]> body = body(task().build());
        body.remove("message_type");

        OutcomePolicy.Outcome outcome = policy.onRead(body, null, 1, NOW);

        assertThat(outcome).isInstanceOfSatisfying(OutcomePolicy.DeadLetter.class, deadLetter -> {
            assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.MISSING_FIELD);
            assertThat(deadLetter.field()).isEqualTo("message_type");
        });
    }

    @Test
    void entryDeliveredMoreThanMaxAttemptsGoesToDeadLettersWithoutRunningTheHandler() {
        OutcomePolicy.Outcome outcome = policy.onRead(body(task().build()), null, 4, NOW);

        assertThat(outcome).isInstanceOfSatisfying(OutcomePolicy.DeadLetter.class, deadLetter -> {
            assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
            assertThat(deadLetter.detail()).startsWith("delivered 4 times without an outcome (max 3)");
        });
    }

    @Test
    void expiredEntryGoesToDeadLettersByDefault() {
        Envelope expired = task().expiresAt(NOW.minusSeconds(1)).build();

        OutcomePolicy.Outcome outcome = policy.onRead(body(expired), null, 1, NOW);

        assertThat(outcome)
                .isEqualTo(new OutcomePolicy.Expired(
                        expired,
                        new OutcomePolicy.DeadLetter(
                                DeadLetterReason.EXPIRED, "expires_at", "expired at 2026-12-02T09:59:59Z")));
    }

    @Test
    void expiredEntryIsDroppedWhenAskedTo() {
        OutcomePolicy dropping = new OutcomePolicy(
                DeliveryOptions.builder()
                        .onExpiry(DeliveryOptions.OnExpiry.DROP)
                        .build(),
                1 << 20);
        Envelope expired = task().expiresAt(NOW.minusSeconds(1)).build();

        OutcomePolicy.Outcome outcome = dropping.onRead(body(expired), null, 1, NOW);

        assertThat(outcome).isEqualTo(new OutcomePolicy.Expired(expired, null));
    }

    @Test
    void handlerThatReturnsAcks() {
        OutcomePolicy.Outcome outcome = policy.afterHandler(1, null, noChoice());

        assertThat(outcome).isEqualTo(new OutcomePolicy.Ack());
    }

    @Test
    void handlerThatThrowsIsRetriedAfterTheBackoffUntilTheLastAttempt() {
        IllegalStateException boom = new IllegalStateException("boom");

        OutcomePolicy.Outcome second = policy.afterHandler(2, boom, noChoice());
        OutcomePolicy.Outcome last = policy.afterHandler(3, boom, noChoice());

        assertThat(second).isEqualTo(new OutcomePolicy.Retry(BACKOFF, "java.lang.IllegalStateException: boom"));
        assertThat(last).isInstanceOfSatisfying(OutcomePolicy.DeadLetter.class, deadLetter -> {
            assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
            assertThat(deadLetter.detail()).isEqualTo("attempt 3 of 3 failed: java.lang.IllegalStateException: boom");
        });
    }

    @Test
    void nonRetryableFailureGoesToDeadLettersAtOnce() {
        OutcomePolicy.Outcome outcome = policy.afterHandler(1, new NonRetryableException("poison"), noChoice());

        assertThat(outcome)
                .isInstanceOfSatisfying(
                        OutcomePolicy.DeadLetter.class,
                        deadLetter -> assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE));
    }

    @Test
    void handlerChoicesAreHonouredAndTheLastAttemptStillGivesUp() {
        CompletableFuture<String> work = new CompletableFuture<>();

        assertThat(policy.afterHandler(1, null, new OutcomePolicy.HandlerChoice(null, "bad brief", null)))
                .isEqualTo(new OutcomePolicy.DeadLetter(DeadLetterReason.REJECTED, null, "bad brief"));
        assertThat(policy.afterHandler(1, null, new OutcomePolicy.HandlerChoice(null, null, work)))
                .isEqualTo(new OutcomePolicy.AckWhen(work));
        assertThat(policy.afterHandler(1, null, new OutcomePolicy.HandlerChoice(Duration.ofSeconds(5), null, null)))
                .isEqualTo(new OutcomePolicy.Retry(Duration.ofSeconds(5), "handler asked to retry in PT5S"));
        assertThat(policy.afterHandler(3, null, new OutcomePolicy.HandlerChoice(Duration.ofSeconds(5), null, null)))
                .isInstanceOf(OutcomePolicy.DeadLetter.class);
    }

    @Test
    void failedAsynchronousWorkIsRetriedAndSucceededWorkAcks() {
        assertThat(policy.afterWork(1, null)).isEqualTo(new OutcomePolicy.Ack());
        assertThat(policy.afterWork(1, new IllegalStateException("reply not stored")))
                .isEqualTo(new OutcomePolicy.Retry(BACKOFF, "java.lang.IllegalStateException: reply not stored"));
    }

    @Test
    void longFailureDetailsAreTruncated() {
        String huge = "x".repeat(2_000);

        OutcomePolicy.Outcome outcome = policy.afterHandler(1, new NonRetryableException(huge), noChoice());

        assertThat(((OutcomePolicy.DeadLetter) outcome).detail()).hasSizeLessThanOrEqualTo(501);
    }

    private static Envelope.Builder task() {
        return Envelope.builder().from("cmo").to("copywriter").type("task").payload("{}");
    }

    private static OutcomePolicy.HandlerChoice noChoice() {
        return new OutcomePolicy.HandlerChoice(null, null, null);
    }

    private static Map<String, byte[]> body(Envelope envelope) {
        Map<String, byte[]> body = new LinkedHashMap<>();
        EnvelopeCodec.encode(envelope).forEach((name, value) -> body.put(name, value.getBytes(StandardCharsets.UTF_8)));
        return body;
    }
}
