package io.agentbus.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a bench run produced.
 *
 * @param resultsFile results.json: every figure, with machine, versions and commit
 * @param tableFile   results.md: the figures as the tables of docs/BENCHMARKS.md, with ratios and targets
 * @param chartFile   bench.png
 * @param results     every figure
 * @param failures    system × scenario runs that failed, with the error; their figures are missing
 * @param notes       what was left out and why (e.g. no redis-benchmark on PATH)
 * @param elapsed     wall time of the whole run
 */
public record BenchReport(
        Path resultsFile,
        Path tableFile,
        Path chartFile,
        List<Result> results,
        List<Map<String, String>> failures,
        List<String> notes,
        Duration elapsed) {}
