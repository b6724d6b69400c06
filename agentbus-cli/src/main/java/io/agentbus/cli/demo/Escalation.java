package io.agentbus.cli.demo;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.Priority;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The demo's priorities: the cmo's direct reports pile up a backlog of {@value #BACKLOG} routine reports
 * (priority normal) in the {@link #AGENT}'s inbox, which it handles slowly ({@value #BACKLOG_HANDLING_MS}
 * ms each); while they wait, the {@link #ESCALATOR} sends one escalation at priority critical, in its own
 * conversation. An inbox has one stream per priority band, and the instance takes the higher band first,
 * so the escalation overtakes what the instance had not read yet: it is handled after at most the
 * backlog messages already read when it arrived, far fewer than the backlog.
 *
 * <p>Measured, not assumed: the backlog messages handled when the escalation was sent, and when its
 * handler started (one instance, one handler at a time, so that count is exact). Thread-safe.
 */
final class Escalation {

    static final String AGENT_NAME = "cmo";
    static final String ESCALATOR_NAME = "brand_manager";
    static final AgentId AGENT = AgentId.of(AGENT_NAME);
    static final AgentId ESCALATOR = AgentId.of(ESCALATOR_NAME);
    static final List<AgentId> REPORTERS = List.of(
            AgentId.of("campaign_manager"), AgentId.of("content_manager"), ESCALATOR, AgentId.of("market_researcher"));
    static final String BACKLOG_TYPE = "routine_report";
    static final String TYPE = "escalation";
    static final int BACKLOG = 200;
    static final int BACKLOG_HANDLING_MS = 1;

    private final String conversationId =
            TYPE + "-" + UUID.randomUUID().toString().substring(0, 8);
    private final Set<MessageId> backlogIds = ConcurrentHashMap.newKeySet();
    private final Set<MessageId> backlogHandledIds = ConcurrentHashMap.newKeySet();
    private final AtomicReference<MessageId> escalationId = new AtomicReference<>();
    /** Backlog messages sent and not handled yet when the escalation was sent; -1 until then. */
    private final AtomicInteger waitingAtSend = new AtomicInteger(-1);
    /** Backlog messages not handled yet when the escalation's handler started; -1 until then. */
    private final AtomicInteger waitingAtHandling = new AtomicInteger(-1);

    String conversationId() {
        return conversationId;
    }

    /**
     * Sends the backlog, waits until Redis has stored all of it, then sends the escalation. Returns
     * without waiting for any handler.
     */
    void send(AgentBus bus) {
        List<CompletableFuture<?>> sends = new ArrayList<>();
        for (int sequence = 1; sequence <= BACKLOG; sequence++) {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("report", "weekly numbers");
            payload.put("seq", sequence);
            Envelope report = Envelope.builder()
                    .from(REPORTERS.get(sequence % REPORTERS.size()))
                    .to(AGENT)
                    .type(BACKLOG_TYPE)
                    .payload(payload)
                    .priority(Priority.NORMAL)
                    .build();
            backlogIds.add(report.messageId());
            sends.add(bus.send(report).toCompletableFuture());
        }
        // A failed send throws here; the escalation then counts as never sent.
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        Envelope escalation = Envelope.builder()
                .from(ESCALATOR)
                .to(AGENT)
                .type(TYPE)
                .payload(Map.of("issue", "influencer post off-brand", "ask", "approve takedown now"))
                .priority(Priority.CRITICAL)
                .conversationId(conversationId)
                .build();
        escalationId.set(escalation.messageId());
        waitingAtSend.set(BACKLOG - backlogHandledIds.size());
        bus.send(escalation).toCompletableFuture().join();
    }

    /**
     * Called first in every handler run: handles the message if it is the backlog's or the escalation.
     *
     * @return whether it was; if not, the demo's handler goes on with it
     */
    boolean handles(Delivery delivery) {
        MessageId id = delivery.envelope().messageId();
        if (id.equals(escalationId.get())) {
            waitingAtHandling.compareAndSet(-1, BACKLOG - backlogHandledIds.size());
            return true;
        }
        if (backlogIds.contains(id)) {
            try {
                TimeUnit.MILLISECONDS.sleep(BACKLOG_HANDLING_MS); // reading a report takes a moment
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while handling a report", e);
            }
            backlogHandledIds.add(id);
            return true;
        }
        return false;
    }

    boolean escalationHandled() {
        return waitingAtHandling.get() >= 0;
    }

    boolean backlogDrained() {
        return backlogHandledIds.size() == BACKLOG;
    }

    /** The escalation was handled while backlog messages sent before it still waited. */
    boolean overtook() {
        return waitingAtHandling.get() > 0;
    }

    /** Backlog messages waiting when the escalation was sent: 0 if it never was. */
    long backlog() {
        return Math.max(0, waitingAtSend.get());
    }

    /** Backlog messages, sent before the escalation, still unhandled when it was handled: 0 if it never was. */
    long overtaken() {
        return Math.max(0, waitingAtHandling.get());
    }

    /** The audit records of the escalation's conversation, oldest first. */
    List<AuditEntry> auditTrail(AgentBus bus) {
        return bus.audit().tail(AuditQuery.all().conversation(conversationId), 50);
    }

    /** The trail has the escalation's {@code sent} and {@code acked} records. */
    static boolean complete(List<AuditEntry> trail) {
        return trail.stream().anyMatch(record -> record.event().equals("sent"))
                && trail.stream().anyMatch(record -> record.event().equals("acked"));
    }
}
