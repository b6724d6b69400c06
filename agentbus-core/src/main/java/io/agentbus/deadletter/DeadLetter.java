package io.agentbus.deadletter;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of an agent's dead letters ({@code agent:{id}:dlq}).
 *
 * @param id             the dead-letter entry id, used to show, redrive or purge it
 * @param agent          the agent whose inbox it came from
 * @param envelope       the message, if its fields form a valid envelope (a malformed entry has none)
 * @param fields         the original inbox entry's fields, as text
 * @param reason         why it is here
 * @param detail         the exception or broken rule, in words (truncated)
 * @param field          the wire field at fault, for malformed entries
 * @param attempts       deliveries before it was dead-lettered
 * @param firstFailedAt  when its first delivery failed
 * @param lastFailedAt   when it was dead-lettered
 * @param consumer       the consumer that dead-lettered it
 * @param sourceEntryId  its entry id in the inbox
 */
public record DeadLetter(
        String id,
        AgentId agent,
        Optional<Envelope> envelope,
        Map<String, String> fields,
        DeadLetterReason reason,
        String detail,
        Optional<String> field,
        int attempts,
        Instant firstFailedAt,
        Instant lastFailedAt,
        String consumer,
        String sourceEntryId) {

    public DeadLetter {
        fields = Map.copyOf(fields);
    }
}
