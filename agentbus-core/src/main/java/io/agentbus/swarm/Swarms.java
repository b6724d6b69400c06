package io.agentbus.swarm;

import io.agentbus.AgentBus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Swarm coordination state (the swarm ADR): per swarm a JSON state with a version for optimistic
 * concurrency and a TTL (default 3600 s, renewed by each write), up to 10 checkpoints, and the
 * heartbeat of its coordinator. A swarm whose coordinator stopped heartbeating is <em>interrupted</em>;
 * {@link #recover} resumes it from its last checkpoint. Keys carry the swarm as hash tag
 * ({@code swarm:{id}:state}, {@code swarm:{id}:checkpoints}, {@code swarm:{id}:coordinator}); swarms are
 * found through the index set {@code swarms}, never KEYS. Obtain it with {@link AgentBus#swarms()}.
 * Methods block.
 */
public interface Swarms {

    /** The state of a swarm and its version (1 after the first write). */
    record State(String swarm, String json, long version) {}

    /** A snapshot of a swarm's state. */
    record Checkpoint(String id, String swarm, String label, long version, String json, Instant at) {}

    /**
     * A swarm as {@code swarm list} shows it.
     *
     * @param coordinator the coordinator whose heartbeat is current, if any
     * @param interrupted true when no coordinator heartbeats: the swarm needs {@link #recover}
     */
    record Info(
            String swarm,
            Optional<String> coordinator,
            boolean interrupted,
            Optional<State> state,
            Optional<Checkpoint> lastCheckpoint) {}

    Optional<State> read(String swarm);

    /**
     * Writes the state if its version is still {@code expectedVersion} (0 for a swarm without state),
     * atomically; returns the new version.
     *
     * @throws StateConflictException if another writer changed it meanwhile
     */
    long write(String swarm, long expectedVersion, String json);

    /** Snapshots the current state under {@code label}; the 10 newest checkpoints are kept. */
    Checkpoint checkpoint(String swarm, String label);

    /** The swarm's checkpoints, newest first. */
    List<Checkpoint> checkpoints(String swarm);

    /** The coordinator's heartbeat: the swarm is active while it is renewed within the TTL. */
    void heartbeat(String swarm, String coordinator, java.time.Duration ttl);

    /** Every known swarm, active or interrupted. */
    List<Info> list();

    Optional<Info> show(String swarm);

    /**
     * Resumes an interrupted swarm: restores its state from the last checkpoint (as a new version)
     * and makes {@code coordinator} its coordinator. Returns the checkpoint resumed from.
     *
     * @throws IllegalStateException if the swarm has a live coordinator or no checkpoint
     */
    Checkpoint recover(String swarm, String coordinator, java.time.Duration ttl);

    /** The inter-swarm messenger: durable swarm-to-swarm messages with a bounded, replayable history. */
    SwarmMessenger messenger();
}
