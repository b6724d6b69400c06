package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.SwarmOptions;
import io.agentbus.swarm.Swarms;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Swarm state on an in-memory server, with the Redis bus's rules: a versioned state that expires
 * {@link SwarmOptions#STATE_TTL} after its last write, the 10 newest checkpoints, a coordinator
 * heartbeat with its TTL, and recovery from the last checkpoint once the heartbeat lapsed. Every TTL
 * runs on the server's clock.
 */
final class MemorySwarms implements Swarms {

    private static final int CHECKPOINTS_KEPT = 10;

    /** What the server keeps of every swarm; guarded by the server's lock. */
    static final class SwarmTable {
        private final Set<String> index = new TreeSet<>();
        private final Map<String, Versioned> states = new HashMap<>();
        private final Map<String, Deque<Checkpoint>> checkpoints = new HashMap<>();
        private final Map<String, Heartbeat> coordinators = new HashMap<>();
    }

    private record Versioned(String json, long version, Instant expiresAt) {}

    private record Heartbeat(String coordinator, Instant expiresAt) {}

    private final InMemoryServer server;
    private final SwarmTable state;
    private final SwarmMessenger messenger;

    MemorySwarms(InMemoryAgentBus bus, SwarmMessenger messenger) {
        this.server = bus.server();
        this.state = server.swarms;
        this.messenger = messenger;
    }

    @Override
    public SwarmMessenger messenger() {
        return messenger;
    }

    @Override
    public Optional<State> read(String swarm) {
        synchronized (server) {
            Versioned current = current(check(swarm));
            return current == null
                    ? Optional.empty()
                    : Optional.of(new State(swarm, current.json(), current.version()));
        }
    }

    @Override
    public long write(String swarm, long expectedVersion, String json) {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expected version must be >= 0, was " + expectedVersion);
        }
        synchronized (server) {
            return writeVersioned(check(swarm), expectedVersion, json);
        }
    }

    /** Writes if the version is {@code expected} (any version when -1); returns the new version. */
    private long writeVersioned(String swarm, long expected, String json) {
        Versioned current = current(swarm);
        long version = current == null ? 0 : current.version();
        state.index.add(swarm);
        if (expected >= 0 && expected != version) {
            throw new StateConflictException(swarm, expected, version);
        }
        state.states.put(
                swarm, new Versioned(json, version + 1, server.clock.instant().plus(SwarmOptions.STATE_TTL)));
        return version + 1;
    }

    private Versioned current(String swarm) {
        Versioned versioned = state.states.get(swarm);
        if (versioned != null && !server.clock.instant().isBefore(versioned.expiresAt())) {
            state.states.remove(swarm);
            return null;
        }
        return versioned;
    }

    @Override
    public Checkpoint checkpoint(String swarm, String label) {
        synchronized (server) {
            Versioned current = current(check(swarm));
            if (current == null) {
                throw new IllegalStateException("swarm " + swarm + " has no state to checkpoint");
            }
            Instant now = server.clock.instant();
            Checkpoint checkpoint =
                    new Checkpoint(server.nextId(now), swarm, label, current.version(), current.json(), now);
            Deque<Checkpoint> newestFirst = state.checkpoints.computeIfAbsent(swarm, name -> new ArrayDeque<>());
            newestFirst.addFirst(checkpoint);
            while (newestFirst.size() > CHECKPOINTS_KEPT) {
                newestFirst.removeLast();
            }
            return checkpoint;
        }
    }

    @Override
    public List<Checkpoint> checkpoints(String swarm) {
        synchronized (server) {
            return List.copyOf(state.checkpoints.getOrDefault(check(swarm), new ArrayDeque<>()));
        }
    }

    @Override
    public void heartbeat(String swarm, String coordinator, Duration ttl) {
        synchronized (server) {
            String checked = check(swarm);
            state.coordinators.put(
                    checked,
                    new Heartbeat(
                            AgentId.of(coordinator).value(),
                            server.clock.instant().plus(ttl)));
            state.index.add(checked);
        }
    }

    @Override
    public List<Info> list() {
        synchronized (server) {
            List<Info> swarms = new ArrayList<>();
            for (String swarm : state.index) {
                show(swarm).ifPresent(swarms::add);
            }
            return swarms;
        }
    }

    @Override
    public Optional<Info> show(String swarm) {
        synchronized (server) {
            Optional<State> current = read(swarm);
            List<Checkpoint> checkpoints = checkpoints(swarm);
            String coordinator = coordinator(swarm);
            if (current.isEmpty() && checkpoints.isEmpty() && coordinator == null) {
                return Optional.empty();
            }
            return Optional.of(new Info(
                    swarm,
                    Optional.ofNullable(coordinator),
                    coordinator == null,
                    current,
                    checkpoints.stream().findFirst()));
        }
    }

    private String coordinator(String swarm) {
        Heartbeat heartbeat = state.coordinators.get(swarm);
        return heartbeat == null || !server.clock.instant().isBefore(heartbeat.expiresAt())
                ? null
                : heartbeat.coordinator();
    }

    @Override
    public Checkpoint recover(String swarm, String coordinator, Duration ttl) {
        synchronized (server) {
            Info info = show(swarm).orElseThrow(() -> new IllegalStateException("no swarm " + swarm));
            if (!info.interrupted()) {
                throw new IllegalStateException("swarm " + swarm + " is not interrupted: coordinator "
                        + info.coordinator().orElse("?") + " is alive");
            }
            Checkpoint last = info.lastCheckpoint()
                    .orElseThrow(
                            () -> new IllegalStateException("swarm " + swarm + " has no checkpoint to recover from"));
            heartbeat(swarm, coordinator, ttl);
            writeVersioned(swarm, -1, last.json());
            return last;
        }
    }

    private static String check(String swarm) {
        return AgentId.of(swarm).value(); // a swarm id is a hash tag: the agent id rule, as on Redis
    }
}
