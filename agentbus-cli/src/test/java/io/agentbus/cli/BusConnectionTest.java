package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BusConnectionTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void anEmptyRedisUriIsAUsageErrorNotAThrowawayEmbeddedRedis(String empty) {
        CliRun send = CliRun.execute(
                "send", "--from", "cmo", "--to", "copywriter", "--type", "task", "--payload", "{}", "--redis", empty);

        assertThat(send.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(send.err())
                .startsWith("agentbus: --redis is empty: give a Redis URI such as redis://localhost:6379")
                .doesNotContain("embedded Redis");
        assertThat(send.out()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://127.0.0.1:abc", "redis://127.0.0.1:0"})
    void aPortThatIsNotANumberIsAUsageError(String uri) {
        CliRun inbox = CliRun.execute("inbox", "copywriter", "--redis", uri);

        assertThat(inbox.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(inbox.err()).contains("must be a number from 1 to 65535").doesNotContain("\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--count=abc", "--timeout=soon"})
    void aValueThatDoesNotConvertIsOneLineAndAHintNotTheWholeUsage(String option) {
        CliRun receive = CliRun.execute("receive", "copywriter", option, "--redis", "redis://127.0.0.1:1");

        assertThat(receive.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(receive.err().lines())
                .hasSize(2)
                .first()
                .asString()
                .startsWith("agentbus: Invalid value for option");
        assertThat(receive.err()).contains("Try 'agentbus receive --help'").doesNotContain("Usage:");
    }
}
