package io.agentbus;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of an agent's inbox as Redis stores it, read by {@link AgentBus#peek} without consuming it.
 * The fields are the stored text, not an {@link Envelope}: an entry that is not a valid envelope (written by
 * another client, or hostile) is shown as it is, never refused.
 *
 * @param stream  the band stream that holds it ({@code agent:{id}:inbox}, {@code …:inbox:high} or
 *                {@code …:inbox:low}; docs/PROTOCOL.md section 2)
 * @param entryId its stream entry id, {@code <ms>-<seq>}
 * @param fields  its fields by their wire names, as stored, in stored order
 * @param unread  whether no instance of the agent has been given it yet: appended after the last entry
 *                delivered to the band's consumer group, or there is no group (nobody ever subscribed). An
 *                entry that was read may still be pending, or handled and kept until the inbox is trimmed.
 */
public record StoredEntry(String stream, String entryId, Map<String, String> fields, boolean unread) {

    public StoredEntry {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(entryId, "entryId");
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
