package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisProxy;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An agent whose only instance dies (it stops heartbeating, without a goodbye) goes offline within its TTL. */
@ExtendWith(RedisServerExtension.class)
class PresenceExpiryIT {

    @Test
    void aDeadInstanceIsOfflineWithinTtlPlusOneHeartbeat(LocalRedis redis) throws Exception {
        Duration heartbeat = Duration.ofMillis(500);
        Duration ttl = Duration.ofMillis(1500);
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder().presence(heartbeat, ttl).build())
                .connection(ConnectionOptions.builder()
                        .reconnectDelay(Duration.ofSeconds(30), Duration.ofSeconds(30))
                        .build()) // the dead stay dead
                .build();
        AgentId agent = freshAgent("doomed");
        RedisProxy proxy = RedisProxy.open(redis);
        CountDownLatch left = new CountDownLatch(1);
        try (proxy;
                AgentBus observer = AgentBus.connect(redis.uri(), options);
                AgentBus doomed = AgentBus.connect(proxy.uri(), options)) {
            observer.subscribe(freshAgent("observer"), RecordingHandler.acking()); // heartbeats sweep
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
            proxy.disconnect(); // the instance is cut off: no heartbeat, no goodbye

            assertThat(left.await(10, TimeUnit.SECONDS)).isTrue();
            long expiredAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            ScenarioResult.print("presence-expiry", "ttl_ms", ttl.toMillis(), "expired_after_ms", expiredAfterMillis);
            assertThat(observer.registry().isLive(agent)).isFalse();
            assertThat(expiredAfterMillis)
                    .isLessThanOrEqualTo(ttl.plus(heartbeat).plusMillis(500).toMillis());
        }
    }
}
