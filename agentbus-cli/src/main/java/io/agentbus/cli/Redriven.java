package io.agentbus.cli;

import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a redrive by ids did: how many dead letters moved back into the inbox, and the ids that are no dead
 * letter of the agent. {@code agentbus dlq redrive ID...} and the dashboard's redrive button both use it.
 */
public record Redriven(long count, List<String> missing) {

    /**
     * Redrives {@code deadLetters}' entries with these entry ids or message_ids; an id that is neither ends in
     * {@link #missing()}.
     */
    public static Redriven byIds(DeadLetters deadLetters, List<String> ids) {
        // The bus redrives by entry id; a message_id is looked up first, so both kinds of id work.
        List<String> entryIds = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : ids) {
            Optional<DeadLetter> found = deadLetters.find(id);
            if (found.isPresent()) {
                entryIds.add(found.get().id());
            } else {
                missing.add(id);
            }
        }
        return new Redriven(entryIds.isEmpty() ? 0 : deadLetters.redrive(entryIds), List.copyOf(missing));
    }
}
