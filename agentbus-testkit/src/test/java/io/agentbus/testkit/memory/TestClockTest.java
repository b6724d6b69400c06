package io.agentbus.testkit.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class TestClockTest {

    private static final Instant START = Instant.parse("2025-01-01T09:00:00Z");

    @Test
    void standsStillUntilAdvanced() {
        TestClock clock = TestClock.at(START);

        Instant later = clock.advance(Duration.ofMinutes(90));

        assertThat(later).isEqualTo(START.plus(Duration.ofMinutes(90)));
        assertThat(clock.instant()).isEqualTo(later);
        assertThat(clock.millis()).isEqualTo(later.toEpochMilli());
    }

    @Test
    void refusesToMoveBackwards() {
        TestClock clock = TestClock.at(START);

        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-1S");
        assertThat(clock.instant()).isEqualTo(START);
    }

    @Test
    void aZonedViewMovesWithTheClock() {
        TestClock clock = TestClock.at(START);
        java.time.Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));

        clock.advance(Duration.ofHours(1));

        assertThat(paris.instant()).isEqualTo(START.plus(Duration.ofHours(1)));
        assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    }
}
