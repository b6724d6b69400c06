package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HumanDurationTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "PT0S, 0ms",
        "PT0.25S, 250ms",
        "PT5S, 5s",
        "PT5.9S, 5s",
        "PT1M30S, 1m30s",
        "PT2H5M, 2h5m",
        "PT1H0.5S, 1h",
        "P3DT4H, 3d4h"
    })
    void printsWholeUnitsAsTheDurationOptionsReadThem(Duration duration, String text) {
        assertThat(HumanDuration.format(duration)).isEqualTo(text);
    }
}
