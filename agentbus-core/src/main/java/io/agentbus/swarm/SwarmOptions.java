package io.agentbus.swarm;

import io.agentbus.BusOptions;
import java.time.Duration;

/**
 * Limits of the swarm coordination layer: how fast one swarm's event bus publishes, and how much of
 * a swarm pair's message stream is kept. Immutable; part of {@link BusOptions#swarm()}.
 *
 * @param eventRate      events per second one swarm's event bus publishes before events of priority
 *                       1-7 are deferred ({@link SwarmEvents}). Default {@link #DEFAULT_EVENT_RATE}
 * @param messageHistory the newest entries of each {@code message:<from>:{<to>}} stream kept for replay
 *                       ({@link SwarmMessenger}); entries the receiving swarm has not received or settled
 *                       are kept beyond it. Default {@link #DEFAULT_MESSAGE_HISTORY}
 */
public record SwarmOptions(int eventRate, int messageHistory) {

    /** Events per second one swarm's event bus publishes before priorities 1-7 are deferred. */
    public static final int DEFAULT_EVENT_RATE = 1_000;
    /** Entries of one swarm-to-swarm pair's message stream that its senders keep (the swarm ADR's number). */
    public static final int DEFAULT_MESSAGE_HISTORY = 100;
    /** How long a swarm's state lives without a write: fixed, not a setting. */
    public static final Duration STATE_TTL = Duration.ofHours(1);

    private static final SwarmOptions DEFAULTS = new SwarmOptions(DEFAULT_EVENT_RATE, DEFAULT_MESSAGE_HISTORY);

    /** Validates both settings, naming the bad one; the builder does the same checks as each is set. */
    public SwarmOptions {
        atLeastOne("eventRate", eventRate);
        atLeastOne("messageHistory", messageHistory);
    }

    /** Both settings at their {@code DEFAULT_*}. */
    public static SwarmOptions defaults() {
        return DEFAULTS;
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder(this);
    }

    private static int atLeastOne(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
        return value;
    }

    /** Builds {@link SwarmOptions}; each setter rejects a bad value at once, naming it. */
    public static final class Builder {
        private int eventRate;
        private int messageHistory;

        private Builder(SwarmOptions from) {
            eventRate = from.eventRate();
            messageHistory = from.messageHistory();
        }

        /** Events per second, at least 1. Default {@value SwarmOptions#DEFAULT_EVENT_RATE}. */
        public Builder eventRate(int eventsPerSecond) {
            this.eventRate = atLeastOne("eventRate", eventsPerSecond);
            return this;
        }

        /** Entries per pair, at least 1. Default {@value SwarmOptions#DEFAULT_MESSAGE_HISTORY}. */
        public Builder messageHistory(int entries) {
            this.messageHistory = atLeastOne("messageHistory", entries);
            return this;
        }

        public SwarmOptions build() {
            return new SwarmOptions(eventRate, messageHistory);
        }
    }
}
