package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class DurationConverterTest {

    private final DurationConverter converter = new DurationConverter();

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "250ms, PT0.25S",
        "30s,   PT30S",
        "15m,   PT15M",
        "2h,    PT2H",
        "7d,    PT168H",
        "0s,    PT0S",
        "15M,   PT15M",
        "PT15M, PT15M",
        "pt90s, PT1M30S",
        "P2D,   PT48H"
    })
    void readsANumberWithAUnitOrIso8601(String text, String expected) {
        assertThat(converter.convert(text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @ValueSource(strings = {"", "15", "m", "1.5h", "7 days", "3w", "PT", "P1Y", "-5m", "99999999999999999999d"})
    void rejectsAnythingElseNamingTheFormsItReads(String text) {
        assertThatThrownBy(() -> converter.convert(text))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'" + text + "' is not a duration: use " + DurationConverter.FORMS);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PT-5M", "-PT5M"})
    void rejectsANegativeDuration(String text) {
        assertThatThrownBy(() -> converter.convert(text))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'" + text + "' is negative; a duration must be >= 0");
    }

    @Test
    void rejectsADurationTooLongToCountInMilliseconds() {
        assertThatThrownBy(() -> converter.convert("999999999999d"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'999999999999d' is too long a duration");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"10, PT10S", "0, PT0S", "500ms, PT0.5S", "15m, PT15M", "PT5S, PT5S"})
    void secondsByDefaultReadsABareNumberAsSecondsAndTheRestAsDurations(String text, String expected) {
        assertThat(new DurationConverter.SecondsByDefault().convert(text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "1.5", "ten", ""})
    void secondsByDefaultRejectsWhatIsNeither(String text) {
        assertThatThrownBy(() -> new DurationConverter.SecondsByDefault().convert(text))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("is not a duration");
    }
}
