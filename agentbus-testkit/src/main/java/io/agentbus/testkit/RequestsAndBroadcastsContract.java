package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.broadcast;
import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.RecipientUnavailableException;
import io.agentbus.RequestTimeoutException;
import io.agentbus.audit.AuditQuery;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: request/reply with its failures and escalation, and ephemeral broadcasts. */
interface RequestsAndBroadcastsContract extends ContractBuses {

    @Test
    default void aRequestIsAnsweredWithACorrelatedReplyThatSkipsTheRequestersHandler() throws Exception {
        AgentId requester = freshAgent("copywriter");
        AgentId responder = freshAgent("content_manager");
        AgentBus requesting = bus();
        AgentBus responding = bus();
        RecordingHandler requesterInbox = RecordingHandler.acking();
        requesting.subscribe(requester, requesterInbox);
        responding.serve(
                responder,
                request -> Map.of(
                        "verdict", "approved", "draft", request.envelope().payload()));
        Envelope review = Envelope.builder()
                .from(requester)
                .to(responder)
                .type("review_request")
                .payload("{\"text\":\"Launch day!\"}")
                .conversationId(freshName("launch"))
                .build();

        Envelope reply = requesting.sync().request(review, WAIT);

        assertThat(reply.correlationId()).contains(review.messageId().value());
        assertThat(reply.messageType()).isEqualTo("review_request.reply");
        assertThat(reply.fromAgent()).isEqualTo(responder);
        assertThat(reply.toAgent()).isEqualTo(requester);
        assertThat(reply.conversationId()).isEqualTo(review.conversationId());
        assertThat(reply.payload()).contains("\"verdict\":\"approved\"");
        await().atMost(WAIT).until(() -> requesting.sync().inbox(requester).pending() == 0);
        assertThat(requesterInbox.deliveries()).isEmpty();
    }

    @Test
    default void anEscalationClimbsTheChainPastSilentAndEscalatingLevelsToTheFirstRealReply() throws Exception {
        AgentId requester = freshAgent("specialist_lead");
        AgentId silent = freshAgent("specialist");
        AgentId manager = freshAgent("manager");
        AgentId executive = freshAgent("executive");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        bus.serve(silent, request -> null);
        bus.serve(manager, request -> Map.of("escalate", true));
        RecordingHandler executiveSaw = RecordingHandler.acking();
        bus.serve(executive, request -> {
            executiveSaw.handle(request);
            return Map.of("decision", "approved");
        });
        Envelope question = Envelope.builder()
                .from(requester)
                .to(silent)
                .type("budget_request")
                .payload("{}")
                .build();

        // Long enough per level for a polled (cluster) inbox to answer; the silent level costs it once.
        Envelope reply = bus.sync().escalate(question, List.of(silent, manager, executive), Duration.ofSeconds(3));

        assertThat(reply.fromAgent()).isEqualTo(executive);
        assertThat(reply.payload()).contains("approved");
        Envelope atTheTop = executiveSaw.await(1, WAIT).get(0).envelope();
        assertThat(atTheTop.messageId()).isNotEqualTo(question.messageId());
        assertThat(atTheTop.extensions().get("escalation_path")).contains(silent.value(), manager.value());
        await().atMost(WAIT)
                .until(() -> bus.audit().tail(AuditQuery.all().agent(manager), 10).stream()
                        .anyMatch(entry -> entry.event().equals("decision")));
    }

    @Test
    default void aRequestNobodyAnswersTimesOutTyped() {
        AgentId requester = freshAgent("cmo");
        AgentId silent = freshAgent("silent");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        bus.serve(silent, request -> null);
        Envelope question = Envelope.builder()
                .from(requester)
                .to(silent)
                .type("question")
                .payload("{}")
                .build();

        assertThatThrownBy(() -> bus.sync().request(question, Duration.ofMillis(500)))
                .isInstanceOf(RequestTimeoutException.class);
    }

    @Test
    default void aRequestToAnAgentThatNeverRanFailsAtOnce() {
        AgentId requester = freshAgent("cmo");
        AgentBus bus = bus();
        bus.subscribe(requester, RecordingHandler.acking());
        Envelope question = Envelope.builder()
                .from(requester)
                .to(freshAgent("nobody"))
                .type("question")
                .payload("{}")
                .build();

        assertThatThrownBy(() -> bus.sync().request(question, Duration.ofSeconds(30)))
                .isInstanceOf(RecipientUnavailableException.class)
                .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.NO_RESPONDERS);
    }

    // Broadcast

    @Test
    default void aBroadcastReachesEveryListenerWhosePatternMatches() {
        String prefix = "events:" + freshName("content");
        AgentBus publisher = bus();
        AgentBus listening = bus();
        List<String> byPattern = new CopyOnWriteArrayList<>();
        List<String> byChannel = new CopyOnWriteArrayList<>();
        listening.listen(prefix + ":*", (channel, message) -> byPattern.add(channel + " " + message.messageType()));
        listening.listen(prefix + ":created", (channel, message) -> byChannel.add(message.messageType()));

        broadcast(publisher, prefix + ":created", "created");
        broadcast(publisher, "events:" + freshName("campaign") + ":launched", "launched");
        broadcast(publisher, prefix + ":approved", "approved");

        await().atMost(WAIT).until(() -> byPattern.size() == 2 && byChannel.size() == 1);
        assertThat(byPattern).containsExactly(prefix + ":created created", prefix + ":approved approved");
        assertThat(byChannel).containsExactly("created");
        assertThat(listening.broadcastStats().received()).isEqualTo(3);
        assertThat(publisher.broadcastStats().published()).isEqualTo(3);
    }
}
