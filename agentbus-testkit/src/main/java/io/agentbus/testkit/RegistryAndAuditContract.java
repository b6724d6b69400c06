package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.fastPresence;
import static io.agentbus.testkit.ContractSupport.quickRetries;
import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.NonRetryableException;
import io.agentbus.Subscription;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.registry.AgentCard;
import io.agentbus.registry.AgentRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: agent cards and presence, and the audit trail read back. */
interface RegistryAndAuditContract extends ContractBuses {

    @Test
    default void capabilityQueriesFindExactlyTheLiveAgentsWithThatCapability() {
        String capability = freshName("seo_audit");
        AgentId specialist = freshAgent("seo_specialist");
        AgentId intern = freshAgent("seo_intern");
        AgentBus bus = bus(fastPresence());
        AgentRegistry registry = bus.registry();
        registry.publish(new AgentCard(
                specialist, "seo", Set.of(capability, "keywords"), "2.1", "finds keywords", Map.of("team", "growth")));
        registry.publish(AgentCard.of(intern, "intern", capability));

        bus.subscribe(specialist, RecordingHandler.acking());

        await().atMost(WAIT).until(() -> registry.isLive(specialist));
        assertThat(registry.withCapability(capability))
                .extracting(AgentCard::id)
                .containsExactly(specialist);
        assertThat(registry.isLive(intern)).isFalse();
        assertThat(registry.live())
                .extracting(AgentCard::id)
                .contains(specialist)
                .doesNotContain(intern);
        assertThat(registry.card(specialist)).hasValueSatisfying(card -> {
            assertThat(card.role()).isEqualTo("seo");
            assertThat(card.capabilities()).containsExactlyInAnyOrder(capability, "keywords");
            assertThat(card.version()).isEqualTo("2.1");
            assertThat(card.metadata()).containsEntry("team", "growth");
        });
        assertThat(registry.known()).contains(specialist);
        registry.remove(intern);
        assertThat(registry.card(intern)).isEmpty();
    }

    @Test
    default void anAgentLeavesWhenItsLastInstanceClosesAndWatchersAreTold() {
        AgentId agent = freshAgent("temp");
        AgentBus observer = bus(fastPresence());
        AgentBus worker = bus(fastPresence());
        List<AgentRegistry.PresenceEvent> events = new CopyOnWriteArrayList<>();
        observer.registry().watch(events::add);
        Subscription instance = worker.subscribe(agent, RecordingHandler.acking());
        await().atMost(WAIT).until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, true)));
        assertThat(observer.registry().isLive(agent)).isTrue();

        instance.close();

        assertThat(observer.registry().isLive(agent)).isFalse();
        await().atMost(WAIT).until(() -> events.contains(new AgentRegistry.PresenceEvent(agent, false)));
    }

    // Audit trail

    @Test
    default void theAuditTrailRecordsAConversationsSendsOutcomesAndDecisions() {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("reviewer");
        String conversation = freshName("launch");
        AgentBus bus = bus(quickRetries());
        bus.subscribe(reviewer, delivery -> {
            if (delivery.envelope().messageType().equals("spam")) {
                throw new NonRetryableException("not for us");
            }
        });
        Envelope request = Envelope.builder()
                .from(writer)
                .to(reviewer)
                .type("review_request")
                .payload("{\"draft\":1}")
                .conversationId(conversation)
                .build();
        Envelope spam =
                request.toBuilder().messageId(MessageId.random()).type("spam").build();

        bus.sync().send(request);
        bus.sync().send(spam);
        await().atMost(WAIT)
                .until(() -> bus.deadLetters(reviewer).count() == 1
                        && bus.sync().inbox(reviewer).counters().acked() == 1);
        bus.audit()
                .decision(writer, "escalate", Map.of("conversation_id", conversation, "to", "cmo"))
                .toCompletableFuture()
                .join();

        AuditQuery ofConversation = AuditQuery.all().conversation(conversation);
        await().atMost(WAIT).until(() -> bus.audit().tail(ofConversation, 100).size() >= 5);
        List<AuditEntry> records = bus.audit().tail(ofConversation, 100);
        assertThat(records)
                .extracting(entry ->
                        entry.event() + " " + entry.field("message_type").orElse("-"))
                .containsExactlyInAnyOrder(
                        "sent review_request", "sent spam", "acked review_request", "dead_lettered spam", "decision -");
        assertThat(records).extracting(AuditEntry::at).isSorted();
        assertThat(bus.audit().tail(AuditQuery.all().agent(reviewer).type("spam"), 100))
                .extracting(AuditEntry::event)
                .containsExactly("sent", "dead_lettered");
    }

    @Test
    default void aReplayReRunsAConversationInASandboxWithoutTouchingProduction() {
        AgentId writer = freshAgent("copywriter");
        AgentId reviewer = freshAgent("reviewer");
        String conversation = freshName("campaign");
        AgentBus bus = bus();
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

        List<String> rerun = new CopyOnWriteArrayList<>();
        bus.subscribe(
                AgentId.of("sandbox." + reviewer.value()),
                delivery -> rerun.add(delivery.envelope().payload() + " from "
                        + delivery.envelope().fromAgent()));
        await().atMost(WAIT).until(() -> rerun.size() >= 3);
        assertThat(replayed).isEqualTo(3);
        assertThat(rerun)
                .containsExactly(
                        "{\"draft\":1} from sandbox." + writer.value(),
                        "{\"draft\":2} from sandbox." + writer.value(),
                        "{\"draft\":3} from sandbox." + writer.value());
        assertThat(bus.sync().inbox(reviewer).length()).isEqualTo(productionLength);
    }
}
