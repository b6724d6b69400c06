package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

/** An agent whose only instance dies (it stops heartbeating, without a goodbye) goes offline within its TTL. */
@ExtendWith(RedisServerExtension.class)
class PresenceExpiryIT {

    @Test
    void aDeadInstanceIsOfflineWithinTtlPlusOneHeartbeat(LocalRedis redis) throws Exception {
        Duration heartbeat = Duration.ofMillis(500);
        Duration ttl = Duration.ofMillis(1500);
        BusOptions options = BusOptions.builder()
                .presence(heartbeat, ttl)
                .reconnectDelay(Duration.ofSeconds(30), Duration.ofSeconds(30))
                .build(); // the dead stay dead
        AgentId agent = AgentId.of("doomed-" + System.nanoTime());
        NioReactor reactor = new NioReactor();
        TcpCrusher proxy = TcpCrusherBuilder.builder()
                .withReactor(reactor)
                .withBindAddress("127.0.0.1", freePort())
                .withConnectAddress(redis.host(), redis.port())
                .buildAndOpen();
        CountDownLatch left = new CountDownLatch(1);
        try (AgentBus observer = AgentBus.connect(redis.uri(), options);
                AgentBus doomed = AgentBus.connect(
                        "redis://127.0.0.1:" + proxy.getBindAddress().getPort(), options)) {
            observer.subscribe(
                    AgentId.of("observer-" + System.nanoTime()), RecordingHandler.acking()); // heartbeats sweep
            observer.registry().watch(event -> {
                if (event.agent().equals(agent) && !event.joined()) {
                    left.countDown();
                }
            });
            doomed.subscribe(agent, RecordingHandler.acking());
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> observer.registry().isLive(agent));

            long killed = System.nanoTime();
            proxy.close(); // the instance is cut off: no heartbeat, no goodbye

            assertThat(left.await(10, TimeUnit.SECONDS)).isTrue();
            long expiredAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            ScenarioResult.print("presence-expiry", "ttl_ms", ttl.toMillis(), "expired_after_ms", expiredAfterMillis);
            assertThat(observer.registry().isLive(agent)).isFalse();
            assertThat(expiredAfterMillis)
                    .isLessThanOrEqualTo(ttl.plus(heartbeat).plusMillis(500).toMillis());
        } finally {
            proxy.close();
            reactor.close();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
