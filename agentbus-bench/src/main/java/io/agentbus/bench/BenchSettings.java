package io.agentbus.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What one bench run does.
 *
 * @param scenarios the scenarios, in order; empty means all
 * @param quick     the CI-sized run (under a minute) instead of the full one (10–15 minutes on 2 cores)
 * @param out       where results.json, results.md, bench.png and bench.log go
 * @param systems   the systems to run; empty means all
 * @param jfr       record a JFR profile of the agentbus JVM to {@code out/agentbus.jfr}
 */
public record BenchSettings(List<Scenario> scenarios, boolean quick, Path out, List<String> systems, boolean jfr) {

    /** Default of {@link #out()}: {@value}. */
    public static final String DEFAULT_OUT = "target/bench";

    public BenchSettings {
        scenarios = scenarios.isEmpty() ? List.of(Scenario.values()) : List.copyOf(scenarios);
        Objects.requireNonNull(out, "out");
        for (String system : systems) {
            if (!Systems.NAMES.contains(system)) {
                throw new IllegalArgumentException("unknown system '" + system + "'; known: " + Systems.NAMES);
            }
        }
        systems = systems.isEmpty() ? Systems.NAMES : List.copyOf(systems);
    }
}
