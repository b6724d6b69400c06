package io.agentbus.bench;

import java.util.Map;
import java.util.Objects;

/**
 * One figure of a run, as results.json holds it.
 *
 * @param system   {@code agentbus}, {@code lettuce-raw}, {@code redisson}, …
 * @param scenario a {@link Scenario#id()}
 * @param metric   {@code msgs_per_s}, {@code mb_per_s}, {@code p50_ms}, {@code p90_ms}, {@code p99_ms},
 *                 {@code p999_ms}, {@code max_ms}, {@code connections} or {@code stored_messages}
 * @param value    the figure
 * @param params   what distinguishes the measurement: rate, agents, payload bytes, messages, …
 */
public record Result(String system, String scenario, String metric, double value, Map<String, Object> params) {

    public static final String MSGS_PER_S = "msgs_per_s";
    public static final String MB_PER_S = "mb_per_s";
    public static final String P50_MS = "p50_ms";
    public static final String P90_MS = "p90_ms";
    public static final String P99_MS = "p99_ms";
    public static final String P999_MS = "p999_ms";
    public static final String MAX_MS = "max_ms";
    public static final String CONNECTIONS = "connections";
    /** Entries one master stores in the agents' inbox streams (the cluster scenario's spread); param {@code master}. */
    public static final String STORED_MESSAGES = "stored_messages";

    public Result {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(metric, "metric");
        params = Map.copyOf(params);
    }

    /** The parameter {@code name} as a number, or -1 when absent. */
    long param(String name) {
        Object value = params.get(name);
        return value instanceof Number number ? number.longValue() : -1;
    }
}
