package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.RecipientUnavailableException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One circuit per request destination: closed while requests succeed; open after {@code threshold}
 * timeouts in a row, failing requests at once; after the cool-down one probe request goes through,
 * and its success closes the circuit (its failure opens it again).
 */
final class CircuitBreakers {

    private final int threshold;
    private final long coolDownNanos;
    private final LongSupplier nanoTime;
    private final Map<AgentId, Circuit> circuits = new ConcurrentHashMap<>();

    private static final class Circuit {
        int failures;
        long openedAt;
        boolean probing;
    }

    CircuitBreakers(int threshold, Duration coolDown) {
        this(threshold, coolDown, System::nanoTime);
    }

    /** With the clock {@code nanoTime} in place of {@link System#nanoTime()}: tests pass the cool-down without waiting. */
    CircuitBreakers(int threshold, Duration coolDown, LongSupplier nanoTime) {
        this.threshold = threshold;
        this.coolDownNanos = coolDown.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Lets a request to {@code to} go, or throws {@link RecipientUnavailableException} ({@code CIRCUIT_OPEN}). */
    void admit(AgentId to) {
        if (threshold == 0) {
            return;
        }
        Circuit circuit = circuits.computeIfAbsent(to, agent -> new Circuit());
        synchronized (circuit) {
            if (circuit.failures < threshold) {
                return;
            }
            long waited = nanoTime.getAsLong() - circuit.openedAt;
            if (waited < coolDownNanos || circuit.probing) {
                throw RecipientUnavailableException.circuitOpen(
                        to, circuit.failures, Duration.ofNanos(Math.max(0, coolDownNanos - waited)));
            }
            circuit.probing = true; // this request is the probe
        }
    }

    /** Whether requests to {@code to} fail fast now: open and cooling down, or its probe is out. Changes nothing. */
    boolean isOpen(AgentId to) {
        Circuit circuit = circuits.get(to);
        if (threshold == 0 || circuit == null) {
            return false;
        }
        synchronized (circuit) {
            return circuit.failures >= threshold
                    && (nanoTime.getAsLong() - circuit.openedAt < coolDownNanos || circuit.probing);
        }
    }

    void succeeded(AgentId to) {
        Circuit circuit = circuits.get(to);
        if (circuit != null) {
            synchronized (circuit) {
                circuit.failures = 0;
                circuit.probing = false;
            }
        }
    }

    void failed(AgentId to) {
        if (threshold == 0) {
            return;
        }
        Circuit circuit = circuits.computeIfAbsent(to, agent -> new Circuit());
        synchronized (circuit) {
            circuit.failures++;
            circuit.probing = false;
            if (circuit.failures >= threshold) {
                circuit.openedAt = nanoTime.getAsLong();
            }
        }
    }
}
