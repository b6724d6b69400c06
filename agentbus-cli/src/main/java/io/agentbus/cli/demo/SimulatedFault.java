package io.agentbus.cli.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import java.util.Map;
import java.util.Optional;

/**
 * A failure a demo message asks its handler to simulate, so that the handler decides from the message
 * itself. {@link Department} writes it into the payload; the demo's handler reads it back:
 * <ul>
 *   <li>{@code "simulate":"transient","failing_attempts":N}: the first N deliveries throw, then the
 *       handler succeeds; the bus retries after its backoff;</li>
 *   <li>{@code "simulate":"poison","poison":"non_retryable"}: throws {@link NonRetryableException},
 *       which dead-letters the message at once;</li>
 *   <li>{@code "simulate":"poison","poison":"always_fails"}: every delivery throws, until the bus
 *       dead-letters it after its last allowed attempt.</li>
 * </ul>
 *
 * @param kind             which failure
 * @param failingAttempts  for {@link Kind#TRANSIENT}, how many deliveries fail before one succeeds
 */
record SimulatedFault(Kind kind, int failingAttempts) {

    enum Kind {
        TRANSIENT,
        NON_RETRYABLE,
        ALWAYS_FAILS
    }

    /** Thrown by the handler for a simulated failure; without a stack trace, which would say nothing. */
    static final class SimulatedFailure extends RuntimeException {
        SimulatedFailure(String message) {
            super(message, null, false, false);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SIMULATE = "simulate";

    static SimulatedFault transientFor(int failingAttempts) {
        return new SimulatedFault(Kind.TRANSIENT, failingAttempts);
    }

    static SimulatedFault poison(Kind kind) {
        return new SimulatedFault(kind, 0);
    }

    boolean isPoison() {
        return kind != Kind.TRANSIENT;
    }

    /** Writes this fault into a payload under construction. */
    void writeTo(Map<String, Object> payload) {
        if (kind == Kind.TRANSIENT) {
            payload.put(SIMULATE, "transient");
            payload.put("failing_attempts", failingAttempts);
        } else {
            payload.put(SIMULATE, "poison");
            payload.put("poison", kind == Kind.NON_RETRYABLE ? "non_retryable" : "always_fails");
        }
    }

    /** The fault a message asks for, if any. */
    static Optional<SimulatedFault> of(Envelope message) {
        String payload = message.payload();
        if (!payload.contains("\"" + SIMULATE + "\"")) {
            return Optional.empty(); // the common case, without parsing
        }
        JsonNode fields;
        try {
            fields = MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            return Optional.empty(); // unreachable: the bus only delivers payloads that are JSON objects
        }
        return switch (fields.path(SIMULATE).asText()) {
            case "transient" ->
                Optional.of(transientFor(fields.path("failing_attempts").asInt()));
            case "poison" ->
                Optional.of(poison(
                        fields.path("poison").asText().equals("non_retryable")
                                ? Kind.NON_RETRYABLE
                                : Kind.ALWAYS_FAILS));
            default -> Optional.empty();
        };
    }

    /** Fails as this fault says on delivery {@code attempt}; returns if the handler should succeed. */
    void actOn(int attempt) {
        switch (kind) {
            case TRANSIENT -> {
                if (attempt <= failingAttempts) {
                    throw new SimulatedFailure("simulated transient failure, attempt " + attempt + " of the "
                            + failingAttempts + " that fail");
                }
            }
            case NON_RETRYABLE -> throw new NonRetryableException("simulated poison message: never retried");
            case ALWAYS_FAILS -> throw new SimulatedFailure("simulated poison message: fails on every attempt");
        }
    }
}
