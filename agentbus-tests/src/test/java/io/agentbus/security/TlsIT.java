package io.agentbus.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.Envelope;
import io.agentbus.TlsOptions;
import io.agentbus.testkit.RecordingHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario {@code tls}: a Redis with a private CA, reached with {@code rediss://} and the CA as an
 * option; mutual TLS with a PEM client certificate and with a PKCS#12 key store; no connection of the
 * bus ever on the plaintext port; and a server certificate rotated to a new CA while the bus runs, which
 * the bus follows once its CA file is replaced on disk, without a restart.
 */
class TlsIT {

    private static final String PASSWORD = "tls-it-password";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void busSpeaksTlsWithAPrivateCaAndMutualTlsAndFollowsARotatedCertificate() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir);
        try (TlsRedis server = TlsRedis.start(
                                // 127.0.0.2 too: an address the certificate does not name, for serverName.
                                certificates, "no", "--bind", "127.0.0.1", "127.0.0.2", "--protected-mode", "no")
                        .requirePassword(PASSWORD);
                TlsRedis mutual = TlsRedis.start(certificates, "yes").requirePassword(PASSWORD)) {
            // The bus trusts a copy of the CA that the rotation replaces.
            Path trusted = Files.copy(certificates.caCert, dir.resolve("trusted-ca.pem"));
            TlsOptions caOnly = TlsOptions.builder().caFile(trusted).build();

            boolean caOk = roundTrip(server, server.tlsUri(":" + PASSWORD, "127.0.0.1"), caOnly);
            boolean mtlsOk = roundTrip(
                            mutual,
                            mutual.tlsUri(":" + PASSWORD, "localhost"),
                            TlsOptions.builder()
                                    .caFile(certificates.caCert)
                                    .clientCertificate(certificates.clientCert, certificates.clientKey)
                                    .build())
                    && roundTrip(
                            mutual,
                            mutual.tlsUri(":" + PASSWORD, "127.0.0.1"),
                            TlsOptions.builder()
                                    .caFile(certificates.caCert)
                                    .keyStore(certificates.clientKeyStore("store-pass"))
                                    .keyPassword("store-pass")
                                    .build());
            boolean serverNameOk = roundTrip(
                    server,
                    server.tlsUri(":" + PASSWORD, "127.0.0.2"),
                    caOnly.mutate().serverName("localhost").build());
            assertThatThrownBy(() -> AgentBus.connect(server.plainUri(":" + PASSWORD), options(caOnly)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is plaintext: use rediss://");
            assertThatThrownBy(() -> AgentBus.connect(
                            server.tlsUri(":" + PASSWORD, "127.0.0.1") + "?verifyPeer=NONE", options(caOnly)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("asks verifyPeer=NONE");

            long recoveryMs = rotationRecoveryMs(server, certificates, caOnly, trusted);

            assertThat(caOk).isTrue();
            assertThat(mtlsOk).isTrue();
            assertThat(serverNameOk).isTrue();
            assertThat(plaintextFallbacks).isZero();
            assertThat(tlsConnections).isPositive();
            assertThat(recoveryMs).isLessThanOrEqualTo(10_000);
            System.out.println("RESULT scenario=tls ca_ok=" + caOk + " mtls_ok=" + mtlsOk + " plaintext_fallbacks="
                    + plaintextFallbacks + " rotation_recovery_ms=" + recoveryMs);
        }
    }

    private int plaintextFallbacks;
    private int tlsConnections;

    /**
     * Whether a message sent over {@code uri} reaches its handler; counts the bus's connections on the
     * server's plaintext port (fallbacks) and on its TLS port while the bus runs.
     */
    private boolean roundTrip(TlsRedis server, String uri, TlsOptions tls) throws InterruptedException {
        try (AgentBus bus = AgentBus.connect(uri, options(tls))) {
            AgentId worker =
                    AgentId.of("tls-worker-" + UUID.randomUUID().toString().substring(0, 8));
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);

            bus.sync().send(task(worker));

            boolean handled = handler.await(1, WAIT).size() == 1;
            plaintextFallbacks += busConnections(server, server.redis.port());
            tlsConnections += busConnections(server, server.tlsPort);
            return handled;
        }
    }

    /**
     * Rotates the server's certificate to one of a new CA while a bus runs: the bus, which trusts only the
     * old CA, fails its handshakes on reconnect and keeps trying; once its CA file is replaced, the next
     * reconnect succeeds. Returns the milliseconds from that file replacement to a handled message.
     */
    private static long rotationRecoveryMs(TlsRedis server, TestCertificates certificates, TlsOptions tls, Path trusted)
            throws Exception {
        try (AgentBus bus = AgentBus.connect(server.tlsUri(":" + PASSWORD, "127.0.0.1"), options(tls))) {
            AgentId worker =
                    AgentId.of("tls-rotation-" + UUID.randomUUID().toString().substring(0, 8));
            RecordingHandler handler = RecordingHandler.acking();
            bus.subscribe(worker, handler);
            bus.sync().send(task(worker));
            handler.await(1, WAIT);
            Path[] rotated = certificates.rotatedServer("rotated-ca");

            try (RedisClient client = RedisClient.create(server.plainUri(":" + PASSWORD));
                    StatefulRedisConnection<String, String> admin = client.connect()) {
                admin.sync()
                        .configSet(Map.of(
                                "tls-cert-file", rotated[1].toString(),
                                "tls-key-file", rotated[2].toString()));
            }
            server.killClients(PASSWORD);
            // Handshakes fail while the bus still trusts the old CA only: Lettuce must keep reconnecting.
            await().atMost(WAIT).until(() -> bus.connectionState().reconnectAttempts() >= 2);
            assertThat(bus.connectionState().isConnected()).isFalse();
            long replaced = System.nanoTime();
            Path next = Files.copy(rotated[0], trusted.resolveSibling("trusted-ca.next"));
            Files.move(next, trusted, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> bus.connectionState().isConnected());
            bus.sync().send(task(worker));
            handler.await(2, Duration.ofSeconds(15));
            return (System.nanoTime() - replaced) / 1_000_000;
        }
    }

    /** The bus's connections (named {@code agentbus-*}) that {@code server} accepted on {@code port}. */
    private static int busConnections(TlsRedis server, int port) {
        try (RedisClient client = RedisClient.create(server.plainUri(":" + PASSWORD));
                StatefulRedisConnection<String, String> admin = client.connect()) {
            String local = "laddr=" + server.redis.host() + ":" + port + " ";
            return (int) admin.sync()
                    .clientList()
                    .lines()
                    .filter(line -> line.contains(local) && line.contains(" name=agentbus"))
                    .count();
        }
    }

    private static BusOptions options(TlsOptions tls) {
        return BusOptions.builder()
                .connection(ConnectionOptions.builder()
                        .connectTimeout(Duration.ofSeconds(3))
                        .reconnectDelay(Duration.ofMillis(100), Duration.ofSeconds(2))
                        .tls(tls)
                        .build())
                .build();
    }

    private static Envelope task(AgentId worker) {
        return Envelope.builder()
                .from("tls-it")
                .to(worker)
                .type("task")
                .payload("{}")
                .build();
    }
}
