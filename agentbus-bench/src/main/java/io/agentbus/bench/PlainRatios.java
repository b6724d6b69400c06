package io.agentbus.bench;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every figure's ratio to the plain design on the same client ({@link Systems#CEILING}, lettuce-plain) measured
 * in the same run: the figure of the same scenario and metric at the same point (rate, agents, payload size, …).
 * Above 1 is more than the plain design: faster for a throughput, slower for a latency. results.json and the
 * tables of results.md give the same ratios.
 */
final class PlainRatios {

    /**
     * The params that say which point of a scenario a figure is of; the others say how it was measured (messages,
     * runs, the redis-benchmark command, …) and may differ between systems at the same point.
     */
    static final List<String> POINT = List.of("rate", "agents", "payload_bytes", "subscribers", "concurrency", "load");

    private PlainRatios() {}

    /** {@code results} with each figure's ratio to lettuce-plain's, or none where lettuce-plain has no such figure. */
    static List<Result> add(List<Result> results) {
        return results.stream()
                .map(result -> result.withXLettucePlain(plainOf(results, result)
                        .map(plain -> SystemRun.round(result.value() / plain.value()))
                        .orElse(null)))
                .toList();
    }

    private static Optional<Result> plainOf(List<Result> results, Result figure) {
        return results.stream()
                .filter(r -> r.system().equals(Systems.CEILING)
                        && r.scenario().equals(figure.scenario())
                        && r.metric().equals(figure.metric())
                        && r.value() > 0
                        && POINT.stream().allMatch(param -> samePoint(r, figure, param)))
                .findFirst();
    }

    /** As text, so that a count read back from a child's JSON as a Long equals the Integer it was written as. */
    private static boolean samePoint(Result a, Result b, String param) {
        return Objects.equals(
                String.valueOf(a.params().get(param)), String.valueOf(b.params().get(param)));
    }
}
