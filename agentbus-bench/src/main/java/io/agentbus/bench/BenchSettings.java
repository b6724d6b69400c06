package io.agentbus.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one bench run does.
 *
 * @param scenarios the scenarios, in order; empty means all
 * @param quick     the CI-sized run (about 2 minutes) instead of the full one (about 35 minutes on 2 cores)
 * @param out       where results.json, results.md, bench.png and bench.log go
 * @param systems   the systems to run; empty means all
 * @param jfr       record a JFR profile of the agentbus JVM to {@code out/agentbus.jfr}
 * @param cluster   a {@code redis-cluster://} URI the cluster scenario runs its cluster half on; empty: the
 *                  bench starts a loopback cluster of 3 masters and 3 replicas for it
 */
public record BenchSettings(
        List<Scenario> scenarios,
        boolean quick,
        Path out,
        List<String> systems,
        boolean jfr,
        Optional<String> cluster) {

    /** Default of {@link #out()}: {@value}. */
    public static final String DEFAULT_OUT = "target/bench";

    /** The scheme of a cluster URI, the only kind of {@code --redis} the bench uses. */
    public static final String CLUSTER_SCHEME = "redis-cluster://";

    public BenchSettings {
        scenarios = scenarios.isEmpty() ? List.of(Scenario.values()) : List.copyOf(scenarios);
        Objects.requireNonNull(out, "out");
        for (String system : systems) {
            if (!Systems.NAMES.contains(system)) {
                throw new IllegalArgumentException("unknown system '" + system + "'; known: " + Systems.NAMES);
            }
        }
        systems = systems.isEmpty() ? Systems.NAMES : List.copyOf(systems);
        Objects.requireNonNull(cluster, "cluster");
        cluster.filter(uri -> !uri.startsWith(CLUSTER_SCHEME)).ifPresent(uri -> {
            throw new IllegalArgumentException("cluster must be a " + CLUSTER_SCHEME + " URI, was '" + uri + "'");
        });
    }

    /** The settings with the bench starting its own cluster for the cluster scenario. */
    public BenchSettings(List<Scenario> scenarios, boolean quick, Path out, List<String> systems, boolean jfr) {
        this(scenarios, quick, out, systems, jfr, Optional.empty());
    }
}
