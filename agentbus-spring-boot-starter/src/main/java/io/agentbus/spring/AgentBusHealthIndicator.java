package io.agentbus.spring;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.ConnectionState;
import io.agentbus.InboxStats;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Health {@code agentbus}: UP while the bus is connected to Redis, DOWN otherwise (reconnecting, or closed).
 * Details: the connection ({@code redis}), and for each agent this application listens as ({@code agents}) its
 * inbox as {@link AgentBus#inbox} reads it: {@code length} (entries, handled ones included until trimmed),
 * {@code pending} (delivered, not yet acknowledged), {@code deadLetters}, {@code delayed},
 * {@code oldestPendingMillis}, and {@code stuck}: the oldest pending message was sent longer ago than the
 * visibility timeout, so a handler is slow or hung, or an instance died and nobody has reclaimed its messages yet.
 * Stuck messages are a detail, not DOWN: the bus still works.
 */
public class AgentBusHealthIndicator extends AbstractHealthIndicator {

    /** How long the inbox figures may take; the health endpoint must answer even when Redis is slow. */
    static final Duration INBOX_READ_TIMEOUT = Duration.ofSeconds(2);

    private final AgentBus bus;
    private final Supplier<? extends Iterable<AgentId>> agents;
    private final Duration visibilityTimeout;

    public AgentBusHealthIndicator(
            AgentBus bus, Supplier<? extends Iterable<AgentId>> agents, Duration visibilityTimeout) {
        super("agentbus health check failed");
        this.bus = bus;
        this.agents = agents;
        this.visibilityTimeout = visibilityTimeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder health) {
        ConnectionState state = bus.connectionState();
        Map<String, Object> redis = new LinkedHashMap<>();
        redis.put("uri", bus.redisUri());
        redis.put("status", state.status().name());
        redis.put("since", state.since().toString());
        redis.put("reconnectAttempts", state.reconnectAttempts());
        health.withDetail("redis", redis);
        if (!state.isConnected()) {
            health.down();
            return;
        }
        health.up();
        Map<String, Object> inboxes = new LinkedHashMap<>();
        for (AgentId agent : agents.get()) {
            inboxes.put(agent.value(), inbox(agent));
        }
        health.withDetail("agents", inboxes);
    }

    private Map<String, Object> inbox(AgentId agent) {
        Map<String, Object> details = new LinkedHashMap<>();
        try {
            InboxStats inbox =
                    bus.inbox(agent).toCompletableFuture().get(INBOX_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            details.put("length", inbox.length());
            details.put("pending", inbox.pending());
            details.put("deadLetters", inbox.deadLetters());
            details.put("delayed", inbox.delayed());
            inbox.oldestPendingAge().ifPresent(age -> details.put("oldestPendingMillis", age.toMillis()));
            details.put(
                    "stuck",
                    inbox.oldestPendingAge()
                            .filter(age -> age.compareTo(visibilityTimeout) > 0)
                            .isPresent());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            details.put("error", "interrupted");
        } catch (Exception e) {
            details.put("error", String.valueOf(e.getCause() != null ? e.getCause() : e));
        }
        return details;
    }
}
