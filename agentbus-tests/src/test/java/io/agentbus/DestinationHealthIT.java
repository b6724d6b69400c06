package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.audit.AuditQuery;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class DestinationHealthIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aBusThatRequiresLiveRecipientsFailsFastForAnAgentWithNoInstance(LocalRedis redis) {
        AgentId nobody = freshAgent("nobody");
        AgentId somebody = freshAgent("somebody");
        BusOptions strict = BusOptions.builder()
                .send(SendOptions.builder().requireLiveRecipient(true).build())
                .consumer(ConsumerOptions.builder()
                        .presence(Duration.ofMillis(200), Duration.ofMillis(600))
                        .build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), strict)) {
            bus.subscribe(somebody, RecordingHandler.acking());
            await().atMost(WAIT).until(() -> bus.registry().isLive(somebody));

            assertThatThrownBy(() -> bus.sync().send(task(nobody)))
                    .isInstanceOf(RecipientUnavailableException.class)
                    .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.NO_LIVE_INSTANCE);
            assertThat(bus.sync().send(task(somebody)).duplicate()).isFalse();
            assertThat(bus.sync().inbox(nobody).length()).isZero();
        }
    }

    @Test
    void theCircuitOpensAfterTimeoutsAndAProbeClosesIt(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("cmo");
        AgentId flaky = freshAgent("flaky");
        AtomicBoolean answering = new AtomicBoolean(false);
        BusOptions breaker = BusOptions.builder()
                .send(SendOptions.builder().breaker(3, Duration.ofMillis(500)).build())
                .build();
        try (AgentBus bus = AgentBus.connect(redis.uri(), breaker)) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(flaky, request -> answering.get() ? Map.of("ok", true) : null); // null: no reply
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> bus.request(task(requester, flaky), Duration.ofMillis(150))
                                .toCompletableFuture()
                                .join())
                        .hasCauseInstanceOf(RequestTimeoutException.class);
            }

            assertThatThrownBy(() -> bus.request(task(requester, flaky), Duration.ofSeconds(5))
                            .toCompletableFuture()
                            .join())
                    .cause()
                    .isInstanceOf(RecipientUnavailableException.class)
                    .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.CIRCUIT_OPEN);

            answering.set(true);
            await().atMost(WAIT)
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> bus.request(task(requester, flaky), Duration.ofSeconds(2))
                                    .toCompletableFuture()
                                    .join()
                            != null);
            assertThat(bus.request(task(requester, flaky), Duration.ofSeconds(2))
                            .toCompletableFuture()
                            .join()
                            .payload())
                    .isEqualTo("{\"ok\":true}");
        }
    }

    @Test
    void anEscalationClimbsTheChainOnSilenceAndOnRequestAndRecordsItsPath(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("requester");
        AgentId copywriter = freshAgent("copywriter");
        AgentId manager = freshAgent("content_manager");
        AgentId cmo = freshAgent("cmo");
        List<String> pathsSeenByCmo = new CopyOnWriteArrayList<>();
        String conversation = "escalation-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(copywriter, request -> null); // silent
            bus.serve(manager, request -> Map.of("escalate", true));
            bus.serve(cmo, request -> {
                pathsSeenByCmo.add(request.envelope().extensions().get("escalation_path"));
                return Map.of("approved", true);
            });
            Envelope question = Envelope.builder()
                    .from(requester)
                    .to(copywriter)
                    .type("budget_question")
                    .payload("{}")
                    .conversationId(conversation)
                    .build();

            Envelope answer = bus.escalate(question, List.of(copywriter, manager, cmo), Duration.ofMillis(300))
                    .toCompletableFuture()
                    .join();

            assertThat(answer.fromAgent()).isEqualTo(cmo);
            assertThat(answer.payload()).isEqualTo("{\"approved\":true}");
            assertThat(pathsSeenByCmo).containsExactly(copywriter.value() + ">" + manager.value() + ">" + cmo.value());
            await().atMost(WAIT)
                    .until(() -> bus.audit().tail(AuditQuery.all().conversation(conversation), 50).stream()
                                    .filter(entry -> entry.event().equals("decision"))
                                    .count()
                            == 2);
        }
    }

    @Test
    void anEscalationThatNobodyAnswersFailsWithTheLastTimeout(LocalRedis redis) {
        AgentId requester = freshAgent("requester");
        AgentId a = freshAgent("silent_a");
        AgentId b = freshAgent("silent_b");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(a, request -> null);
            bus.serve(b, request -> null);
            Envelope question = Envelope.builder()
                    .from(requester)
                    .to(a)
                    .type("q")
                    .payload("{}")
                    .build();

            assertThatThrownBy(() -> bus.escalate(question, List.of(a, b), Duration.ofMillis(200))
                            .toCompletableFuture()
                            .join())
                    .isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(RequestTimeoutException.class);
        }
    }

    private static Envelope task(AgentId to) {
        return Envelope.builder().from("cmo").to(to).type("task").payload("{}").build();
    }

    private static Envelope task(AgentId from, AgentId to) {
        return Envelope.builder().from(from).to(to).type("ping").payload("{}").build();
    }
}
