package io.agentbus.reliability;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The one {@code RESULT scenario=<name> key=value ...} line a scenario prints to stdout, from
 * measured values; the key names are a contract with whoever collects the lines. Details for a
 * human go to stderr, so stdout keeps exactly one line per scenario.
 */
final class ScenarioResult {

    private ScenarioResult() {}

    /** Prints {@code RESULT scenario=<scenario> k1=v1 k2=v2 ...}; {@code keyValues} alternate names and values. */
    static void print(String scenario, Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must pair up, got " + keyValues.length + " items");
        }
        StringBuilder line = new StringBuilder("RESULT scenario=").append(scenario);
        for (int i = 0; i < keyValues.length; i += 2) {
            line.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
        }
        System.out.println(line);
    }

    /** A detail for the reader of the build log, on stderr. */
    static void note(String scenario, String text) {
        System.err.println("NOTE scenario=" + scenario + " " + text);
    }

    /** The nearest-rank percentile ({@code 0 < p <= 100}) of {@code values}; 0 for none. */
    static long percentile(Collection<Long> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }
}
