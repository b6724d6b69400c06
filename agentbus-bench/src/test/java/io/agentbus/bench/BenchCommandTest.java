package io.agentbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The command line of agentbus-bench-all.jar, as {@code ./agentbus bench} runs it; no bench runs here. */
class BenchCommandTest {

    @Test
    void helpNamesEveryOptionAsAgentbusBench() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exitCode = run(out, err, "--help");

        assertThat(exitCode).isZero();
        assertThat(out.toString())
                .startsWith("Usage: agentbus bench ")
                .contains(
                        "SCENARIO",
                        "--quick",
                        "--out",
                        "--systems",
                        "--jfr",
                        "--redis",
                        "cluster",
                        "redis-cluster://",
                        "backlog-drain",
                        "department",
                        "lettuce-plain")
                .containsPattern("(?m)^\\s+2\\s+Invalid input: unknown scenario or system\\.$");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void unknownScenarioIsAOneLineUsageErrorEvenAfterAGlobalRedisOption() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exitCode = run(out, err, "--redis", "redis://localhost:6379", "no-such-scenario");

        assertThat(exitCode).isEqualTo(BenchCommand.INVALID_INPUT);
        assertThat(err.toString()).startsWith("agentbus: unknown scenario 'no-such-scenario'");
        assertThat(out.toString()).isEmpty();
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        return BenchCommand.newCommandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }
}
