package io.agentbus.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.TlsOptions;
import io.agentbus.cli.AgentBusCommand;
import io.agentbus.cli.ExitCodes;
import io.agentbus.connect.AuthRequiredException;
import io.agentbus.connect.CertificateNotTrustedException;
import io.agentbus.connect.ClientCertificateRequiredException;
import io.agentbus.connect.ConnectionRefusedException;
import io.agentbus.connect.HostNotFoundException;
import io.agentbus.connect.HostnameMismatchException;
import io.agentbus.connect.PlaintextToTlsPortException;
import io.agentbus.connect.TlsToPlaintextPortException;
import io.agentbus.connect.UserRejectedException;
import io.agentbus.connect.WrongPasswordException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario {@code auth-errors}: each way a connect can be refused (credentials, TLS, a closed port) is
 * raised as its own exception type and ends the {@code agentbus} command with its own exit code, in one
 * line without a stack trace; and no password shows in what the command prints, its DEBUG logs included.
 */
class AuthErrorsIT {

    private static final String PASSWORD = "S3cret-Pa55word-of-the-test";
    private static final String WRONG_PASSWORD = "Wr0ng-Guess-of-the-test";

    @TempDir
    Path dir;

    @Test
    void everyRefusalIsNamedByItsOwnExceptionAndExitCode() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir);
        Path passwordFile = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        try (TlsRedis server = TlsRedis.start(
                        certificates,
                        "no",
                        // 127.0.0.2 too, an address the server certificate does not name.
                        "--bind",
                        "127.0.0.1",
                        "127.0.0.2",
                        "--protected-mode",
                        "no");
                TlsRedis mutualTls = TlsRedis.start(certificates, "yes")) {
            server.requirePassword(PASSWORD);
            mutualTls.requirePassword(PASSWORD);
            String host = "127.0.0.1";
            int closedPort = TlsRedis.freePort();
            TlsOptions trustingCa =
                    TlsOptions.builder().caFile(certificates.caCert).build();
            List<Case> cases = List.of(
                    new Case(
                            "wrong_password",
                            server.plainUri(":" + WRONG_PASSWORD),
                            TlsOptions.defaults(),
                            WrongPasswordException.class,
                            ExitCodes.WRONG_PASSWORD,
                            // From the environment, as a user keeps it out of argv.
                            List.of("--redis", server.plainUri(""), "ENV=" + WRONG_PASSWORD)),
                    new Case(
                            "unknown_user",
                            server.plainUri("ghost:" + PASSWORD),
                            TlsOptions.defaults(),
                            UserRejectedException.class,
                            ExitCodes.USER_REJECTED,
                            List.of("--redis", server.plainUri("ghost"), "--password-file", passwordFile.toString())),
                    new Case(
                            "no_password",
                            server.plainUri(""),
                            TlsOptions.defaults(),
                            AuthRequiredException.class,
                            ExitCodes.PASSWORD_REQUIRED,
                            List.of("--redis", server.plainUri(""))),
                    new Case(
                            "closed_port",
                            "redis://" + host + ":" + closedPort,
                            TlsOptions.defaults(),
                            ConnectionRefusedException.class,
                            ExitCodes.CONNECTION_REFUSED,
                            List.of("--redis", "redis://" + host + ":" + closedPort)),
                    new Case(
                            "wrong_ca",
                            server.tlsUri(":" + PASSWORD, host),
                            TlsOptions.builder()
                                    .caFile(certificates.otherCaCert)
                                    .build(),
                            CertificateNotTrustedException.class,
                            ExitCodes.TLS_UNTRUSTED,
                            List.of(
                                    "--redis",
                                    server.tlsUri("", host),
                                    "--password-file",
                                    passwordFile.toString(),
                                    "--tls-ca",
                                    certificates.otherCaCert.toString())),
                    new Case(
                            "hostname_mismatch",
                            server.tlsUri(":" + PASSWORD, "127.0.0.2"),
                            trustingCa,
                            HostnameMismatchException.class,
                            ExitCodes.TLS_HOSTNAME_MISMATCH,
                            List.of(
                                    "--redis",
                                    server.tlsUri("", "127.0.0.2"),
                                    "--password-file",
                                    passwordFile.toString(),
                                    "--tls-ca",
                                    certificates.caCert.toString())),
                    new Case(
                            "missing_client_cert",
                            mutualTls.tlsUri(":" + PASSWORD, host),
                            trustingCa,
                            ClientCertificateRequiredException.class,
                            ExitCodes.TLS_CLIENT_CERT_REQUIRED,
                            List.of(
                                    "--redis",
                                    mutualTls.tlsUri("", host),
                                    "--password-file",
                                    passwordFile.toString(),
                                    "--tls-ca",
                                    certificates.caCert.toString())),
                    new Case(
                            "plaintext_to_tls",
                            "redis://:" + PASSWORD + "@" + host + ":" + server.tlsPort,
                            TlsOptions.defaults(),
                            PlaintextToTlsPortException.class,
                            ExitCodes.PLAINTEXT_TO_TLS_PORT,
                            List.of(
                                    "--redis",
                                    "redis://" + host + ":" + server.tlsPort,
                                    "--password-file",
                                    passwordFile.toString())));

            Map<String, Class<?>> raised = new LinkedHashMap<>();
            Map<String, Integer> exitCodes = new LinkedHashMap<>();
            for (Case c : cases) {
                BusOptions options = BusOptions.builder()
                        .connection(ConnectionOptions.builder()
                                .connectTimeout(Duration.ofSeconds(3))
                                .tls(c.tls())
                                .build())
                        .build();
                long started = System.nanoTime();
                assertThatThrownBy(() -> AgentBus.connect(c.uri(), options).close())
                        .as(c.name())
                        .isExactlyInstanceOf(c.exception())
                        .satisfies(e -> raised.put(c.name(), e.getClass()))
                        .satisfies(e ->
                                assertThat(e.getMessage()).doesNotContain(PASSWORD, WRONG_PASSWORD, "<unresolved>"));
                CliRun run = CliRun.of(c.cliArgs(), dir);
                exitCodes.put(c.name(), run.exitCode);
                ScenarioNotes.note("case=" + c.name() + " exception="
                        + raised.get(c.name()).getSimpleName() + " exit="
                        + run.exitCode + " ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
                        + " says: "
                        + run.err
                                .lines()
                                .filter(l -> l.startsWith("agentbus: "))
                                .findFirst()
                                .orElse("(nothing)"));

                assertThat(run.exitCode).as(c.name() + ": " + run.err).isEqualTo(c.exitCode());
                assertThat(run.err).as(c.name()).contains("agentbus: cannot connect to ");
                assertThat(run.err
                                .lines()
                                .filter(l -> l.startsWith("agentbus: "))
                                .count())
                        .isEqualTo(1);
                assertThat(run.err).as(c.name()).doesNotContain("\tat io.agentbus", "Exception in thread");
                assertThat(run.out + run.err).as(c.name()).doesNotContain(PASSWORD, WRONG_PASSWORD);
            }

            Set<Class<?>> types = Set.copyOf(raised.values());
            Set<Integer> codes = Set.copyOf(exitCodes.values());
            assertThat(types).hasSize(cases.size());
            assertThat(codes).hasSize(cases.size());
            System.out.println("RESULT scenario=auth-errors cases=" + cases.size() + " distinct="
                    + Math.min(types.size(), codes.size()));
        }
    }

    @Test
    void tlsToAPlaintextPortAndAnUnknownHostAreNamedToo() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir);
        try (TlsRedis server = TlsRedis.start(certificates, "no")) {
            BusOptions tls = BusOptions.builder()
                    .connection(ConnectionOptions.builder()
                            .connectTimeout(Duration.ofSeconds(1))
                            .tls(TlsOptions.builder()
                                    .caFile(certificates.caCert)
                                    .build())
                            .build())
                    .build();

            assertThatThrownBy(() -> AgentBus.connect("rediss://127.0.0.1:" + server.redis.port(), tls))
                    .isExactlyInstanceOf(TlsToPlaintextPortException.class)
                    .hasMessageContaining("speaks plaintext, not TLS");
            assertThatThrownBy(() -> AgentBus.connect("redis://no-such-host.invalid:6379"))
                    .isExactlyInstanceOf(HostNotFoundException.class)
                    .hasMessageContaining("host 'no-such-host.invalid' not found")
                    .hasMessageNotContaining("<unresolved>");
        }
    }

    private record Case(
            String name,
            String uri,
            TlsOptions tls,
            Class<? extends Exception> exception,
            int exitCode,
            List<String> cliArgs) {}

    /** The {@code agentbus} command run as a user runs it: its own JVM, logging at DEBUG. */
    private record CliRun(int exitCode, String out, String err) {

        static CliRun of(List<String> args, Path dir) throws IOException, InterruptedException {
            String password =
                    args.stream().filter(a -> a.startsWith("ENV=")).findFirst().orElse(null);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug",
                    "-Dorg.slf4j.simpleLogger.log.io.agentbus=debug",
                    AgentBusCommand.class.getName()));
            args.stream().filter(a -> !a.startsWith("ENV=")).forEach(command::add);
            command.addAll(List.of("inbox", "probe"));
            Path out = Files.createTempFile(dir, "cli", ".out");
            Path err = Files.createTempFile(dir, "cli", ".err");
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().remove("AGENTBUS_REDIS_URL");
            builder.environment().remove("AGENTBUS_REDIS_PASSWORD");
            if (password != null) {
                builder.environment().put("AGENTBUS_REDIS_PASSWORD", password.substring("ENV=".length()));
            }
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("agentbus " + args + " did not exit within 60 s");
            }
            return new CliRun(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        }
    }

    /** Details for the reader of the build log, on stderr, beside the one RESULT line on stdout. */
    private static final class ScenarioNotes {
        static void note(String text) {
            System.err.println("NOTE scenario=auth-errors " + text);
        }
    }
}
