package io.agentbus.cli.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.broadcast.BroadcastHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo's ephemeral broadcasts: once Redis has stored a task assignment of the campaign manager, it
 * announces it on {@value #CHANNEL}, so that the whole team knows who works on what in a campaign;
 * every running instance of a specialist listens to {@value #PATTERN}. (One announcer, not every
 * manager: the demo runs all listenings in one process, where each heard broadcast is a task on the
 * handlers' pool, competing with the deliveries whose latency the demo measures.)
 * Counts the announcements published and the handler runs they caused in the listenings, of this
 * run's announcements only: on a shared Redis another run's may be heard too. Thread-safe.
 */
final class TaskAnnouncements {

    static final String CHANNEL = "events:marketing:task_assigned";
    static final String PATTERN = "events:marketing:*";
    static final String ANNOUNCER = "campaign_manager";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Recorded before publishing: Redis may hand a broadcast to a listener before it answers the PUBLISH. */
    private final Set<MessageId> ours = ConcurrentHashMap.newKeySet();

    private final LongAdder published = new LongAdder();
    private final LongAdder heard = new LongAdder();
    private final AtomicInteger publishing = new AtomicInteger();
    private final FailureTally failures = new FailureTally();
    private final AtomicInteger listenings = new AtomicInteger();

    /** Starts one listening, for one running instance of a specialist. */
    void listen(AgentBus bus) {
        BroadcastHandler handler = (channel, announcement) -> {
            if (ours.contains(announcement.messageId())) {
                heard.increment();
            }
        };
        bus.listen(PATTERN, handler);
        listenings.incrementAndGet();
    }

    /** Whether a sent {@code message} is announced once Redis has stored it. */
    static boolean announces(Envelope message) {
        return message.fromAgent().value().equals(ANNOUNCER)
                && message.messageType().equals("task_assignment");
    }

    /** Publishes the announcement of {@code assignment}, a task assignment that Redis has stored. */
    void announce(AgentBus bus, Envelope assignment) {
        Envelope announcement = Envelope.builder()
                .from(assignment.fromAgent())
                .to(assignment.toAgent())
                .type("task_assigned")
                .payload(payloadOf(assignment))
                .build();
        ours.add(announcement.messageId());
        publishing.incrementAndGet();
        try {
            bus.publish(CHANNEL, announcement).whenComplete((receipt, failure) -> {
                if (failure == null) {
                    published.increment();
                } else {
                    failures.add(failure);
                }
                publishing.decrementAndGet();
            });
        } catch (RuntimeException e) {
            failures.add(e);
            publishing.decrementAndGet();
        }
    }

    /** Announcements Redis accepted. */
    long broadcasts() {
        return published.sum();
    }

    /** Handler runs of this run's announcements, over all listenings. */
    long receivers() {
        return heard.sum();
    }

    /** Handler runs if no listening missed an announcement: each announcement once per listening. */
    long expectedReceivers() {
        return published.sum() * listenings.get();
    }

    /** No publish is waiting for Redis, and every listening handled every announcement. */
    boolean settled() {
        return publishing.get() == 0 && receivers() >= expectedReceivers();
    }

    long failedCount() {
        return failures.count();
    }

    Throwable firstFailure() {
        return failures.first();
    }

    /** Who got which task: the assignment's id, its assignee, and its task and campaign. */
    private static Map<String, Object> payloadOf(Envelope assignment) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("assignment", assignment.messageId().value());
        payload.put("assignee", assignment.toAgent().value());
        try {
            JsonNode fields = JSON.readTree(assignment.payload());
            payload.put("task", fields.path("task").asText());
            payload.put("campaign", fields.path("campaign").asText());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the demo's payloads are JSON objects", e);
        }
        return payload;
    }
}
