package io.agentbus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.protocol.WireFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@link AgentBus#escalate}: requests up a chain of agents, on the public API alone ({@link AgentBus#request}
 * and the audit trail), so that every bus escalates alike.
 */
final class Escalation {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Escalation() {}

    static CompletionStage<Envelope> escalate(
            AgentBus bus, Envelope request, List<AgentId> chain, Duration deadlinePerLevel) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("an escalation chain needs at least one level");
        }
        return escalateFrom(bus, request, chain, 0, deadlinePerLevel, new ArrayList<>());
    }

    private static CompletionStage<Envelope> escalateFrom(
            AgentBus bus, Envelope request, List<AgentId> chain, int level, Duration deadline, List<String> path) {
        AgentId to = chain.get(level);
        path.add(to.value());
        Envelope attempt = request.toBuilder()
                .messageId(request.messageId().value() + ".e" + level)
                .to(to)
                .extension("escalation_path", String.join(">", path))
                .build();
        return bus.request(attempt, deadline)
                .handle((reply, failure) -> {
                    boolean last = level == chain.size() - 1;
                    boolean askedToEscalate = failure == null && wantsEscalation(reply);
                    boolean timedOut = failure instanceof RequestTimeoutException
                            || (failure != null && failure.getCause() instanceof RequestTimeoutException);
                    if (last || (!askedToEscalate && !timedOut)) {
                        if (failure != null) {
                            throw failure instanceof CompletionException completion
                                    ? completion
                                    : new CompletionException(failure);
                        }
                        return CompletableFuture.completedFuture(reply);
                    }
                    Map<String, String> details = new LinkedHashMap<>();
                    details.put("escalation_path", String.join(">", path));
                    details.put("next", chain.get(level + 1).value());
                    details.put("why", timedOut ? "no reply within " + deadline : "asked to escalate");
                    details.put(WireFields.MESSAGE_ID, request.messageId().value());
                    request.conversationId().ifPresent(id -> details.put(WireFields.CONVERSATION_ID, id));
                    bus.audit().decision(to, "escalate", details);
                    return escalateFrom(bus, request, chain, level + 1, deadline, path);
                })
                .thenCompose(next -> next);
    }

    private static boolean wantsEscalation(Envelope reply) {
        try {
            return JSON.readTree(reply.payload()).path("escalate").asBoolean(false);
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
