package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    // Jitter is random: enough samples that a wrong bound or a constant delay shows every run.
    private static final int SAMPLES = 500;

    @Test
    void aFixedBackoffWaitsTheSameDelayBeforeEveryRetry() {
        Backoff fixed = Backoff.fixed(Duration.ofMillis(250));

        Set<Duration> delays = new HashSet<>();
        for (int attempt = 1; attempt <= 10; attempt++) {
            delays.add(fixed.delayAfter(attempt));
        }

        assertThat(delays).containsExactly(Duration.ofMillis(250));
    }

    @Test
    void anExponentialDelayIsJitteredBetweenZeroAndTheDoubledCeiling() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(60));

        Set<Long> afterThird = new HashSet<>();
        for (int i = 0; i < SAMPLES; i++) {
            afterThird.add(backoff.delayAfter(3).toMillis());
        }

        assertThat(afterThird).allSatisfy(millis -> assertThat(millis).isBetween(0L, 400L));
        assertThat(afterThird).hasSizeGreaterThan(10);
    }

    @Test
    void anExponentialDelayNeverExceedsTheMaxHoweverManyAttempts() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(2));

        long longest = 0;
        for (int i = 0; i < SAMPLES; i++) {
            longest = Math.max(longest, backoff.delayAfter(1_000).toMillis());
        }

        assertThat(longest).isBetween(0L, 2_000L);
    }

    @Test
    void anAttemptBelowOneIsTreatedAsTheFirst() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(60));

        long longest = 0;
        for (int i = 0; i < SAMPLES; i++) {
            longest = Math.max(longest, backoff.delayAfter(0).toMillis());
        }

        assertThat(longest).isBetween(0L, 100L);
    }

    @Test
    void aMaxBelowTheInitialDelayIsRejectedNamingBoth() {
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backoff max PT1S must be >= initial PT2S");
    }

    @Test
    void aNegativeInitialDelayIsRejected() {
        assertThatThrownBy(() -> Backoff.fixed(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backoff initial delay must be >= 0, was PT-0.001S");
    }
}
