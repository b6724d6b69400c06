package io.agentbus.spring;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** @AgentListener methods of a Boot application on a real Redis: what they receive, and what their failures do. */
@ExtendWith(RedisServerExtension.class)
class AgentListenerIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    // Fresh agents per test, given to the listeners as properties: tests never see each other's messages.
    private final AgentId writer = freshAgent("writer");
    private final AgentId auditor = freshAgent("auditor");
    private final AgentId router = freshAgent("router");
    private final AgentId flaky = freshAgent("flaky");
    private ApplicationContextRunner application;

    @BeforeEach
    void application(LocalRedis redis) {
        application = new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(JacksonAutoConfiguration.class, AgentBusAutoConfiguration.class))
                .withUserConfiguration(Listeners.class)
                .withPropertyValues(
                        "agentbus.redis-uri=" + redis.uri(),
                        "agentbus.delivery.max-attempts=3",
                        "agentbus.delivery.visibility-timeout=1s",
                        "agentbus.delivery.backoff.initial=20ms",
                        "agentbus.delivery.backoff.max=50ms",
                        "test.writer=" + writer.value(),
                        "test.auditor=" + auditor.value(),
                        "test.router=" + router.value(),
                        "test.flaky=" + flaky.value());
    }

    @Test
    void methodsReceiveThePayloadAsTheirTypeTheEnvelopeOrTheDelivery() {
        application.run(context -> {
            AgentBus bus = context.getBean(AgentBus.class);
            Listeners listeners = context.getBean(Listeners.class);

            bus.sync().send(task(writer, "{\"topic\":\"launch\",\"words\":300}"));
            bus.sync().send(task(auditor, "{\"n\":1}"));
            bus.sync().send(task(router, "{\"n\":2}"));

            await().atMost(WAIT)
                    .until(() -> listeners.briefs.size() == 1
                            && listeners.envelopes.size() == 1
                            && listeners.deliveries.size() == 1);
            assertThat(listeners.briefs).containsExactly(new Brief("launch", 300));
            assertThat(listeners.envelopes.get(0).payload()).isEqualTo("{\"n\":1}");
            assertThat(listeners.deliveries.get(0).attempt()).isEqualTo(1);
            await().atMost(WAIT).until(() -> bus.sync().inbox(writer).pending() == 0);
            assertThat(bus.sync().inbox(writer).counters().acked()).isEqualTo(1);
        });
    }

    @Test
    void anExceptionFromTheMethodIsRetriedThenDeadLettered() {
        application.run(context -> {
            AgentBus bus = context.getBean(AgentBus.class);
            Listeners listeners = context.getBean(Listeners.class);

            String id = bus.sync().send(task(flaky, "{\"n\":3}")).messageId().value();

            DeadLetter dead = await().atMost(WAIT)
                    .until(() -> bus.deadLetters(flaky).find(id), Optional::isPresent)
                    .orElseThrow();
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.MAX_ATTEMPTS);
            assertThat(dead.detail()).contains("copy desk is closed");
            assertThat(listeners.flakyAttempts).containsExactly(1, 2, 3);
        });
    }

    @Test
    void aPayloadThatCannotBeReadAsTheParameterTypeIsDeadLetteredAtOnce() {
        application.run(context -> {
            AgentBus bus = context.getBean(AgentBus.class);
            Listeners listeners = context.getBean(Listeners.class);

            String id = bus.sync()
                    .send(task(writer, "{\"topic\":\"launch\",\"words\":\"many\"}"))
                    .messageId()
                    .value();

            DeadLetter dead = await().atMost(WAIT)
                    .until(() -> bus.deadLetters(writer).find(id), Optional::isPresent)
                    .orElseThrow();
            assertThat(dead.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
            assertThat(dead.detail()).contains("cannot be read as").contains(Brief.class.getName());
            assertThat(dead.attempts()).isEqualTo(1);
            assertThat(listeners.briefs).isEmpty();
        });
    }

    @Test
    void theBusRegistersItsMetersInTheApplicationsRegistry() {
        application.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            AgentBus bus = context.getBean(AgentBus.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);

            bus.sync().send(task(auditor, "{\"n\":4}"));

            await().atMost(WAIT)
                    .until(() -> registry.find("messages.published").counters().stream()
                                    .mapToDouble(counter -> counter.count())
                                    .sum()
                            >= 1);
            assertThat(registry.find("redis.connected").gauge()).isNotNull();
        });
    }

    private static Envelope task(AgentId to, String payload) {
        return Envelope.builder()
                .from("dispatcher")
                .to(to)
                .type("task")
                .payload(payload)
                .build();
    }

    record Brief(String topic, int words) {}

    @Configuration(proxyBeanMethods = false)
    static class Listeners {
        final List<Brief> briefs = new CopyOnWriteArrayList<>();
        final List<Envelope> envelopes = new CopyOnWriteArrayList<>();
        final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        final List<Integer> flakyAttempts = new CopyOnWriteArrayList<>();

        @AgentListener(agent = "${test.writer}")
        void write(Brief brief) {
            briefs.add(brief);
        }

        @AgentListener(agent = "${test.auditor}")
        void audit(Envelope envelope) {
            envelopes.add(envelope);
        }

        @AgentListener(agent = "${test.router}")
        void route(Delivery delivery) {
            deliveries.add(delivery);
        }

        @AgentListener(agent = "${test.flaky}")
        void fail(Delivery delivery) {
            flakyAttempts.add(delivery.attempt());
            throw new IllegalStateException("copy desk is closed");
        }
    }
}
