package io.agentbus.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.Objects;

/**
 * One figure of a run, as results.json holds it.
 *
 * @param system   {@code agentbus}, {@code lettuce-raw}, {@code redisson}, …
 * @param scenario a {@link Scenario#id()}
 * @param metric   {@code msgs_per_s}, {@code mb_per_s}, {@code p50_ms}, {@code p90_ms}, {@code p99_ms},
 *                 {@code p999_ms}, {@code max_ms}, {@code connections}, {@code stored_messages} or
 *                 {@code time_to_empty_s}
 * @param value    the figure
 * @param params   what distinguishes the measurement: rate, agents, payload bytes, messages, …
 * @param xLettucePlain {@code value} divided by {@code lettuce-plain}'s figure of the same scenario, metric and
 *                 point ({@link PlainRatios}), measured in the same run; null where lettuce-plain has none
 */
public record Result(
        String system,
        String scenario,
        String metric,
        double value,
        Map<String, Object> params,

        @JsonProperty("x_lettuce_plain") @JsonInclude(JsonInclude.Include.NON_NULL)
        Double xLettucePlain) {

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
    /** Seconds from a consumer's start until it drained a backlog, each message handled and acknowledged. */
    public static final String TIME_TO_EMPTY_S = "time_to_empty_s";

    public Result {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(metric, "metric");
        params = Map.copyOf(params);
    }

    /** A figure whose ratio to lettuce-plain is not known yet. */
    public Result(String system, String scenario, String metric, double value, Map<String, Object> params) {
        this(system, scenario, metric, value, params, null);
    }

    /** This figure with its ratio to lettuce-plain's. */
    Result withXLettucePlain(Double ratio) {
        return new Result(system, scenario, metric, value, params, ratio);
    }

    /** The parameter {@code name} as a number, or -1 when absent. */
    long param(String name) {
        Object value = params.get(name);
        return value instanceof Number number ? number.longValue() : -1;
    }
}
