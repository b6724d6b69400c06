package io.agentbus.spring;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** The {@code agentbus} health indicator against a real Redis that is killed, restarted, and left with stuck work. */
@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(perTest = true) // one test kills its server
class AgentBusHealthIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final AgentId agent = freshAgent("editor");
    private ApplicationContextRunner application;

    @BeforeEach
    void application(LocalRedis redis) {
        application = new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(AgentBusAutoConfiguration.class, AgentBusHealthAutoConfiguration.class))
                .withUserConfiguration(SlowEditor.class)
                .withPropertyValues(
                        "agentbus.redis-uri=" + redis.uri(),
                        "agentbus.delivery.visibility-timeout=500ms",
                        "agentbus.connection.command-timeout=1s",
                        "agentbus.connection.reconnect-min-delay=50ms",
                        "agentbus.connection.reconnect-max-delay=300ms",
                        "agentbus.consumer.shutdown-timeout=200ms",
                        "test.agent=" + agent.value());
    }

    @Test
    void downWhileRedisIsKilledAndUpAgainOnceItIsBackOnTheSamePort(LocalRedis redis) {
        application.run(context -> {
            HealthIndicator health = context.getBean("agentbusHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            redis.kill();
            Health down = await().atMost(WAIT)
                    .until(health::health, h -> h.getStatus().equals(Status.DOWN));
            redis.restart();
            Health up = await().atMost(WAIT)
                    .until(health::health, h -> h.getStatus().equals(Status.UP));

            assertThat(redis(down)).containsEntry("status", "DISCONNECTED").containsEntry("uri", redis.uri());
            assertThat(redis(up)).containsEntry("status", "CONNECTED");
            assertThat(agents(up)).containsKey(agent.value());
        });
    }

    @Test
    void aMessageHeldLongerThanTheVisibilityTimeoutIsReportedStuckWhileHealthStaysUp() {
        application.run(context -> {
            HealthIndicator health = context.getBean("agentbusHealthIndicator", HealthIndicator.class);
            SlowEditor editor = context.getBean(SlowEditor.class);
            AgentBus bus = context.getBean(AgentBus.class);
            assertThat(inbox(health.health())).containsEntry("stuck", false).containsEntry("pending", 0L);

            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("review")
                            .payload("{}")
                            .build());
            assertThat(editor.started.await(10, TimeUnit.SECONDS)).isTrue();

            Health stuck = await().atMost(WAIT).until(health::health, h -> Boolean.TRUE.equals(inbox(h).get("stuck")));
            assertThat(stuck.getStatus()).isEqualTo(Status.UP);
            assertThat(inbox(stuck)).containsEntry("pending", 1L);
            assertThat((Long) inbox(stuck).get("oldestPendingMillis")).isGreaterThan(500L);

            editor.release.countDown();
            await().atMost(WAIT)
                    .until(() -> Boolean.FALSE.equals(inbox(health.health()).get("stuck")));
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> redis(Health health) {
        return (Map<String, Object>) health.getDetails().get("redis");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> agents(Health health) {
        return (Map<String, Object>) health.getDetails().get("agents");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> inbox(Health health) {
        return (Map<String, Object>) agents(health).get(agent.value());
    }

    /** Holds its first message until released: longer than the visibility timeout. */
    @Configuration(proxyBeanMethods = false)
    static class SlowEditor {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @AgentListener(agent = "${test.agent}")
        void review(Envelope review) throws InterruptedException {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
        }
    }
}
