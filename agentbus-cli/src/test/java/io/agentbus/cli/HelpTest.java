package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.Priority;
import io.agentbus.cli.commands.PublishCommand;
import io.agentbus.cli.server.ServerCommand;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class HelpTest {

    static Stream<Arguments> commandsAndTheirOptions() {
        return Stream.of(
                Arguments.of("", new String[] {
                    "--redis",
                    "--password-file",
                    "--tls-ca",
                    "--tls-cert",
                    "--tls-key",
                    "--tls-keystore",
                    "--tls-keystore-password-file",
                    "--tls-verify",
                    "--tls-server-name",
                    "AGENTBUS_REDIS_PASSWORD",
                    "AGENTBUS_TLS_CA",
                    "AGENTBUS_TLS_CERT",
                    "AGENTBUS_TLS_KEY",
                    "--help",
                    "--version",
                    "demo",
                    "send",
                    "receive",
                    "inbox",
                    "dlq",
                    "publish",
                    "watch",
                    "request",
                    "audit",
                    "agents",
                    "swarm",
                    "stats",
                    "acl",
                    "server",
                    "bench"
                }),
                Arguments.of("bench", new String[] {"agentbus-bench-all.jar", "--redis"}),
                Arguments.of("demo", new String[] {"--messages", "--topology", "--redis", "swarm"}),
                Arguments.of("demo swarm", new String[] {"--topology", "--redis"}),
                Arguments.of(
                        "send",
                        new String[] {"--from", "--to", "--type", "--payload", "--priority", "--json", "--redis"}),
                Arguments.of("receive", new String[] {"AGENT", "--count", "--timeout", "--json", "--redis"}),
                Arguments.of("inbox", new String[] {"AGENT", "peek", "--json", "--redis", "--embedded"}),
                Arguments.of("inbox peek", new String[] {"AGENT", "-n", "--oldest", "--newest", "--json", "--redis"}),
                Arguments.of("dlq", new String[] {"list", "show", "redrive", "purge", "--redis"}),
                Arguments.of("dlq list", new String[] {"AGENT", "--limit", "--json", "--redis"}),
                Arguments.of("dlq show", new String[] {"AGENT", "ID", "--json", "--redis"}),
                Arguments.of("dlq redrive", new String[] {"AGENT", "ID", "--all", "--json", "--redis"}),
                Arguments.of("dlq purge", new String[] {"AGENT", "--older-than", "--json", "--redis"}),
                Arguments.of("audit", new String[] {"tail", "replay", "--redis"}),
                Arguments.of("audit tail", new String[] {
                    "--agent",
                    "--conversation",
                    "--correlation",
                    "--type",
                    "--since",
                    "--limit",
                    "--follow",
                    "--follow-for",
                    "--json",
                    "--redis"
                }),
                Arguments.of("audit replay", new String[] {"--conversation", "--into", "--redis"}),
                Arguments.of("agents", new String[] {"--capability", "--json", "watch", "--redis"}),
                Arguments.of("agents watch", new String[] {"--count", "--timeout", "--redis"}),
                Arguments.of("swarm", new String[] {"list", "show", "recover", "--redis"}),
                Arguments.of("swarm list", new String[] {"--json", "--redis"}),
                Arguments.of("swarm show", new String[] {"ID", "--json", "--redis"}),
                Arguments.of("swarm recover", new String[] {"ID", "--coordinator", "--ttl", "--redis"}),
                Arguments.of(
                        "publish",
                        new String[] {"CHANNEL", "--type", "--payload", "--from", "--to", "--json", "--redis"}),
                Arguments.of("watch", new String[] {"PATTERN", "--count", "--timeout", "--json", "--redis"}),
                Arguments.of("stats", new String[] {"--json", "--redis"}),
                Arguments.of("acl", new String[] {"provision", "--redis"}),
                Arguments.of("acl provision", new String[] {"AGENT", "--apply", "--user-password-file", "--redis"}),
                Arguments.of("server", new String[] {
                    "--port", "--bind", "/metrics", "/api/stats", "/api/tail", "/api/dlq/AGENT/redrive", "--redis"
                }),
                Arguments.of(
                        "request",
                        new String[] {"--to", "--type", "--payload", "--from", "--timeout", "--json", "--redis"}));
    }

    @ParameterizedTest(name = "agentbus {0} --help")
    @MethodSource("commandsAndTheirOptions")
    void helpExitsZeroAndNamesEveryOption(String command, String[] options) {
        String[] args = (command + " --help").strip().split(" ");

        CliRun run = CliRun.execute(args);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith(("Usage: agentbus " + command).trim()).contains(Arrays.asList(options));
        assertThat(run.err()).isEmpty();
    }

    @Test
    void topLevelHelpListsTheExitCodeOfEachCauseOfAFailedConnect() {
        CliRun run = CliRun.execute("--help");

        assertThat(run.out())
                .contains("Exit codes of a failed connect")
                .containsPattern("(?m)^\\s+" + ExitCodes.WRONG_PASSWORD + "\\s+Redis refused the password")
                .containsPattern("(?m)^\\s+" + ExitCodes.TLS_UNTRUSTED + "\\s+TLS: the server's certificate")
                .containsPattern("(?m)^\\s+" + ExitCodes.HOST_NOT_FOUND + "\\s+The host name does not resolve");
    }

    @Test
    void benchSaysItRunsFromTheBenchJarAsAUsageError() {
        CliRun run = CliRun.execute("--redis", "redis://localhost:6379", "bench", "--quick", "fan-in");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err())
                .startsWith("agentbus: bench runs from a jar of its own: ./agentbus bench")
                .contains("agentbus-bench/target/agentbus-bench-all.jar");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void sendHelpNamesEveryPriorityTheBusAccepts() {
        CliRun run = CliRun.execute("send", "--help");

        for (Priority priority : Priority.values()) {
            assertThat(run.out()).contains(priority.name().toLowerCase(Locale.ROOT));
        }
        assertThat(run.out()).contains("Default: normal.");
    }

    @Test
    void receiveHelpDocumentsItsDefaultsAndTheExitCodeForNothingReceived() {
        CliRun run = CliRun.execute("receive", "--help");

        assertThat(run.out())
                .contains("Stop after N messages. Default: 1.")
                .contains("Default: 10s.")
                .contains("a bare number is seconds")
                .containsPattern("(?m)^\\s+3\\s+The timeout passed and no message came\\.$");
    }

    @Test
    void dlqListHelpShowsTheDefaultLimit() {
        CliRun run = CliRun.execute("dlq", "list", "--help");

        assertThat(run.out()).contains("Default: 100.");
    }

    @Test
    void dlqShowAndRedriveHelpDocumentTheExitCodeForAnUnknownId() {
        CliRun show = CliRun.execute("dlq", "show", "--help");
        CliRun redrive = CliRun.execute("dlq", "redrive", "--help");

        assertThat(show.out()).containsPattern("(?m)^\\s+4\\s+AGENT has no such dead letter\\.$");
        assertThat(redrive.out()).containsPattern("(?m)^\\s+4\\s+Some IDs are not dead letters of AGENT");
    }

    @Test
    void dlqPurgeHelpNamesTheDurationForms() {
        CliRun run = CliRun.execute("dlq", "purge", "--help");

        assertThat(run.out()).contains("30s, 15m, 2h, 7d").contains("PT15M");
    }

    @Test
    void publishHelpShowsTheDefaultPublisherAndThatNobodyListeningIsNoFailure() {
        CliRun run = CliRun.execute("publish", "--help");

        assertThat(run.out())
                .contains("Default: " + PublishCommand.DEFAULT_FROM + ".")
                .containsPattern("(?m)^\\s+0\\s+Published, even if nobody listened \\(receivers=0\\)\\.$");
    }

    @Test
    void watchHelpShowsTheDefaultPatternAndTheExitCodeForTooFewMessages() {
        CliRun run = CliRun.execute("watch", "--help");

        assertThat(run.out())
                .contains("Default: *, every channel.")
                .contains("30s, 15m, 2h, 7d")
                .containsPattern("(?m)^\\s+3\\s+The timeout passed before --count messages came\\.$");
    }

    @Test
    void requestHelpShowsTheDefaultTimeoutAndDistinctExitCodesForTimeoutAndNoResponders() {
        CliRun run = CliRun.execute("request", "--help");

        assertThat(run.out())
                .contains("Default: 5s.")
                .contains("cli-<8 hex digits>")
                .contains("--requester-ttl")
                .containsPattern("(?m)^\\s+3\\s+No reply within --timeout; the request may still be handled\\.$")
                .containsPattern("(?m)^\\s+4\\s+No responders: AGENT never had a running instance");
    }

    @Test
    void serverHelpShowsTheDefaultPortAndBindAndTheExitCodeForAPortInUse() {
        CliRun run = CliRun.execute("server", "--help");

        assertThat(run.out().replaceAll("\\s+", " "))
                .contains(
                        "Default: " + ServerCommand.DEFAULT_PORT,
                        "Default: " + ServerCommand.DEFAULT_BIND,
                        "inbox_oldest_pending_age_seconds");
        assertThat(run.out())
                .containsPattern("(?m)^\\s+" + ExitCodes.INCOMPLETE + "\\s+Cannot listen on --bind:--port");
    }

    @ParameterizedTest(name = "agentbus {0} --help")
    @ValueSource(
            strings = {
                "stats",
                "inbox",
                "inbox peek",
                "dlq list",
                "dlq show",
                "dlq redrive",
                "dlq purge",
                "audit tail",
                "audit replay",
                "agents",
                "agents watch",
                "swarm list",
                "swarm show",
                "swarm recover",
                "server"
            })
    void everyOperatorCommandsHelpListsTheExitCodeOfNoRedisGiven(String command) {
        CliRun run = CliRun.execute((command + " --help").split(" "));

        assertThat(run.out())
                .containsPattern(
                        "(?m)^\\s+" + ExitCodes.REDIS_NOT_GIVEN + "\\s+No Redis given: --redis or AGENTBUS_REDIS_URL");
    }

    @ParameterizedTest(name = "agentbus {0} --help")
    @ValueSource(strings = {"inbox", "inbox peek", "dlq list"})
    void readOnlyCommandsThatNameAnAgentListTheExitCodeOfAnUnknownAgent(String command) {
        CliRun run = CliRun.execute((command + " --help").split(" "));

        assertThat(run.out()).containsPattern("(?m)^\\s+" + ExitCodes.NOT_FOUND + "\\s+No such agent");
    }

    @Test
    void statsHelpSaysHowLongTheRateSampleTakes() {
        CliRun run = CliRun.execute("stats", "--help");

        assertThat(run.out().replaceAll("\\s+", " "))
                .contains("two samples " + BusStatsSnapshot.SAMPLE_PERIOD_MS + " ms apart");
    }

    @Test
    void dlqWithoutASubcommandPrintsUsageAsAUsageError() {
        CliRun run = CliRun.execute("dlq");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required subcommand").contains("Usage: agentbus dlq");
    }

    @Test
    void redisOptionIsAcceptedBeforeAndAfterTheCommand() {
        CliRun before = CliRun.execute("--redis", "nonsense://x", "inbox", "copywriter");
        CliRun after = CliRun.execute("inbox", "copywriter", "--redis", "nonsense://x");

        // Both reach the bus, which refuses the scheme: the option was parsed in either place.
        assertThat(before.err()).isEqualTo(after.err()).startsWith("agentbus: unsupported Redis URI 'nonsense://x'");
        assertThat(before.exitCode()).isEqualTo(after.exitCode()).isEqualTo(2);
    }

    @Test
    void agentbusWithoutACommandPrintsUsageAsAUsageError() {
        CliRun run = CliRun.execute();

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required subcommand").contains("Usage: agentbus");
        assertThat(run.out()).isEmpty();
    }
}
