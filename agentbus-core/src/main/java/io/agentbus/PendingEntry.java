package io.agentbus;

import java.time.Duration;
import java.util.Objects;

/**
 * An entry of an agent's inbox that was delivered to an instance and is not settled yet (acknowledged,
 * retried or dead-lettered): one line of the band group's pending entries list ({@code XPENDING}), read by
 * {@link AgentBus#pendingEntries}.
 *
 * @param stream     the band stream that holds it (docs/PROTOCOL.md section 2)
 * @param entryId    its stream entry id, {@code <ms>-<seq>}
 * @param consumer   the consumer (instance) that holds it
 * @param idle       time since it was last delivered
 * @param deliveries how many times it was delivered
 */
public record PendingEntry(String stream, String entryId, String consumer, Duration idle, long deliveries) {

    public PendingEntry {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(idle, "idle");
    }
}
