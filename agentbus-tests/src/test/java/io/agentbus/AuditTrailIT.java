package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class AuditTrailIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void aScriptedConversationLeavesExactlyItsRecords(LocalRedis redis) throws Exception {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("content_manager");
        String conversation = "launch-" + System.nanoTime();
        DeliveryOptions quickRetry = DeliveryOptions.builder()
                .visibilityTimeout(Duration.ofMillis(500))
                .backoff(Backoff.fixed(Duration.ofMillis(50)))
                .build();
        AtomicInteger reviews = new AtomicInteger();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(reviewer, quickRetry, delivery -> {
                switch (delivery.envelope().messageType()) {
                    case "review_request" -> {
                        if (reviews.incrementAndGet() == 1) {
                            throw new IllegalStateException("reviewer busy"); // retried once
                        }
                    }
                    case "spam" -> throw new NonRetryableException("not for us");
                    default -> {}
                }
            });
            Envelope request = Envelope.builder()
                    .from(writer)
                    .to(reviewer)
                    .type("review_request")
                    .payload("{\"draft\":1}")
                    .conversationId(conversation)
                    .build();
            Envelope spam = Envelope.builder()
                    .from(writer)
                    .to(reviewer)
                    .type("spam")
                    .payload("{}")
                    .conversationId(conversation)
                    .build();
            bus.sync().send(request);
            bus.sync().send(spam);
            await().atMost(WAIT)
                    .until(() -> bus.deadLetters(reviewer).count() == 1
                            && bus.sync().inbox(reviewer).pending() == 0
                            && reviews.get() == 2);
            bus.audit()
                    .decision(writer, "escalate", Map.of("conversation_id", conversation, "to", "cmo"))
                    .toCompletableFuture()
                    .join();

            await().atMost(WAIT)
                    .until(() -> bus.audit()
                                    .tail(AuditQuery.all().conversation(conversation), 100)
                                    .size()
                            == 6);
            List<AuditEntry> records = bus.audit().tail(AuditQuery.all().conversation(conversation), 100);

            assertThat(records)
                    .extracting(entry ->
                            entry.event() + " " + entry.field("message_type").orElse("-"))
                    .containsExactlyInAnyOrder(
                            "sent review_request",
                            "sent spam",
                            "retried review_request",
                            "acked review_request",
                            "dead_lettered spam",
                            "decision -");
            assertThat(records.stream()
                            .filter(r -> r.event().equals("sent"))
                            .findFirst()
                            .orElseThrow()
                            .fields())
                    .containsKey("payload"); // a send is recorded whole, so that it can be replayed
            assertThat(records.stream()
                            .filter(r -> r.event().equals("retried"))
                            .findFirst()
                            .orElseThrow()
                            .field("audit_reason")
                            .orElseThrow())
                    .contains("reviewer busy");
            assertThat(bus.audit().tail(AuditQuery.all().agent(reviewer).type("spam"), 100))
                    .extracting(AuditEntry::event)
                    .containsExactly("sent", "dead_lettered");
        }
    }

    @Test
    void aReplayReRunsAConversationInASandboxWithoutTouchingProduction(LocalRedis redis) throws Exception {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("reviewer");
        String conversation = "campaign-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            for (int draft = 1; draft <= 3; draft++) {
                bus.sync()
                        .send(Envelope.builder()
                                .from(writer)
                                .to(reviewer)
                                .type("review_request")
                                .payload(Map.of("draft", draft))
                                .conversationId(conversation)
                                .build());
            }
            long productionLength = bus.sync().inbox(reviewer).length();

            int replayed = bus.audit().replay(conversation, "sandbox");

            AgentId sandboxed = AgentId.of("sandbox." + reviewer.value());
            List<String> rerun = new java.util.concurrent.CopyOnWriteArrayList<>();
            bus.subscribe(
                    sandboxed,
                    delivery -> rerun.add(delivery.envelope().payload() + " from "
                            + delivery.envelope().fromAgent()));
            await().atMost(WAIT).until(() -> rerun.size() == 3);
            assertThat(replayed).isEqualTo(3);
            assertThat(rerun)
                    .containsExactly(
                            "{\"draft\":1} from sandbox." + writer.value(),
                            "{\"draft\":2} from sandbox." + writer.value(),
                            "{\"draft\":3} from sandbox." + writer.value());
            assertThat(bus.sync().inbox(reviewer).length()).isEqualTo(productionLength);
        }
    }

    @Test
    void eachAuditShardStaysNearItsCap(LocalRedis redis) throws Exception {
        AgentId agent = freshAgent("chatty");
        long cap = 200;
        try (AgentBus bus = AgentBus.connect(
                        redis.uri(), BusOptions.builder().auditCap(cap).build());
                RawRedis raw = RawRedis.connect(redis)) {
            for (int i = 0; i < 2_000; i++) {
                bus.send(Envelope.builder()
                        .from("cmo")
                        .to(agent)
                        .type("ping")
                        .payload("{}")
                        .build());
            }
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("ping")
                            .payload("{}")
                            .build());

            long length = raw.commands().xlen("audit:messages:{" + agent.value() + "}");
            // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): near the cap, never far above.
            assertThat(length).isBetween(cap, cap + 100);
        }
    }

    @Test
    void theAuditTrailCanBeTurnedOff(LocalRedis redis) {
        AgentId agent = freshAgent("quiet");
        try (AgentBus bus = AgentBus.connect(
                        redis.uri(), BusOptions.builder().auditCap(0).build());
                RawRedis raw = RawRedis.connect(redis)) {
            bus.sync()
                    .send(Envelope.builder()
                            .from("cmo")
                            .to(agent)
                            .type("ping")
                            .payload("{}")
                            .build());

            assertThat(raw.commands().exists("audit:messages:{" + agent.value() + "}"))
                    .isZero();
        }
    }
}
