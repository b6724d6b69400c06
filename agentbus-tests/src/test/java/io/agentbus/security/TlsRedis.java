package io.agentbus.security;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentbus.AgentBusException;
import io.agentbus.embedded.LocalRedis;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * A redis-server from PATH with a TLS port beside its plaintext one ({@code --tls-port}); the test is
 * skipped (an assumption) where that binary was built without TLS, as the bundled Redis 6.2 is.
 */
final class TlsRedis implements AutoCloseable {

    final LocalRedis redis;
    final int tlsPort;

    private TlsRedis(LocalRedis redis, int tlsPort) {
        this.redis = redis;
        this.tlsPort = tlsPort;
    }

    /**
     * Starts a server presenting {@code certificates}' server certificate; {@code authClients} is
     * {@code yes}, {@code no} or {@code optional} ({@code --tls-auth-clients}); {@code extra} are more
     * redis-server arguments.
     */
    static TlsRedis start(TestCertificates certificates, String authClients, String... extra) {
        assumeTrue(TestCertificates.onPath("redis-server"), "no redis-server on PATH (the bundled one has no TLS)");
        int tlsPort = freePort();
        List<String> args = new ArrayList<>(List.of(
                "--tls-port", Integer.toString(tlsPort),
                "--tls-cert-file", certificates.serverCert.toString(),
                "--tls-key-file", certificates.serverKey.toString(),
                "--tls-ca-cert-file", certificates.caCert.toString(),
                "--tls-auth-clients", authClients));
        args.addAll(List.of(extra));
        try {
            return new TlsRedis(
                    LocalRedis.builder()
                            .binary(LocalRedis.Binary.PATH)
                            .args(args)
                            .start(),
                    tlsPort);
        } catch (AgentBusException e) {
            String message = String.valueOf(e.getMessage());
            assumeTrue(
                    !message.contains("Bad directive") && !message.contains("tls-port"),
                    "redis-server on PATH has no TLS support: " + message);
            throw e;
        }
    }

    /**
     * Requires {@code password} from now on ({@code CONFIG SET requirepass}): not a start argument, because
     * the start waits for a PONG, which a server requiring a password does not give.
     */
    TlsRedis requirePassword(String password) {
        try (RedisClient client = RedisClient.create(plainUri(""));
                StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().configSet("requirepass", password);
        }
        return this;
    }

    /** Runs {@code CONFIG SET name value} as the default user with {@code password}. */
    void configSet(String password, String name, String value) {
        try (RedisClient client = RedisClient.create(plainUri(":" + password));
                StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().configSet(name, value);
        }
    }

    /** Closes every client connection but the one that asks ({@code CLIENT KILL TYPE normal} and pubsub). */
    void killClients(String password) {
        try (RedisClient client = RedisClient.create(plainUri(":" + password));
                StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().clientKill(KillArgs.Builder.typeNormal().skipme());
            connection.sync().clientKill(KillArgs.Builder.typePubsub());
        }
    }

    /** {@code rediss://[userInfo@]host:tlsPort}. */
    String tlsUri(String userInfo, String host) {
        return "rediss://" + (userInfo.isEmpty() ? "" : userInfo + "@") + host + ":" + tlsPort;
    }

    /** {@code redis://[userInfo@]127.0.0.1:port}, the plaintext port. */
    String plainUri(String userInfo) {
        return "redis://" + (userInfo.isEmpty() ? "" : userInfo + "@") + redis.host() + ":" + redis.port();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new AgentBusException("no free loopback port: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        redis.close();
    }
}
