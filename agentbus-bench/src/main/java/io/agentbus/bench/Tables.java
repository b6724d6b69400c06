package io.agentbus.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The results as Markdown tables for docs/BENCHMARKS.md: absolute figures; their ratio to the plain design
 * ({@code lettuce-plain}, as {@link PlainRatios} put it in each result) in the scenarios it runs, to raw Lettuce
 * running agentbus's scripts and to the best peer ({@link Systems#PEERS}), all measured in the same run; and the
 * targets of the issue, reported (never asserted).
 */
final class Tables {

    private final List<Result> results;
    private final StringBuilder out = new StringBuilder();

    private Tables(List<Result> results) {
        this.results = results;
    }

    static String markdown(List<Result> results) {
        return new Tables(results).render();
    }

    private String render() {
        throughput();
        latency();
        fanIn();
        payloadSize();
        backlogDrain();
        department();
        fanOut(Scenario.BROADCAST, "ephemeral pub/sub, N subscribers of one channel in one process");
        fanOut(Scenario.DURABLE_TOPIC, "one stream, N subscriber groups of one instance each in one process, acked");
        requestReply();
        cluster();
        redisBenchmark();
        targets();
        return out.toString();
    }

    private void throughput() {
        String scenario = Scenario.DIRECT_THROUGHPUT.id();
        List<Result> rows = select(r -> r.scenario().equals(scenario)
                && r.metric().equals(Result.MSGS_PER_S)
                && !Systems.isRedisBenchmark(r.system()));
        if (rows.isEmpty()) {
            return;
        }
        Optional<Result> raw = find(rows, LettuceRawSystem.NAME);
        Optional<Result> peer = best(rows, true);
        out.append("### direct-throughput (256 B, 1 producer → 1 consumer, ≤ 1,000 sends in flight")
                .append(runs(rows))
                .append(")\n\n");
        out.append("| system | msgs/s | × lettuce-plain | × lettuce-raw | × best peer")
                .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                .append(" |\n|---|---:|---:|---:|---:|\n");
        for (Result row : rows) {
            out.append("| ")
                    .append(row.system())
                    .append(" | ")
                    .append(number(row.value()))
                    .append(" | ")
                    .append(plain(row))
                    .append(" | ")
                    .append(ratio(row, raw))
                    .append(" | ")
                    .append(ratio(row, peer))
                    .append(" |\n");
        }
        select(r -> r.scenario().equals(scenario)
                        && Systems.isRedisBenchmark(r.system())
                        && "XADD".equals(r.params().get("command")))
                .forEach(r -> out.append("| ")
                        .append(r.system())
                        .append(" (XADD only, ceiling) | ")
                        .append(number(r.value()))
                        .append(" | ")
                        .append(plain(r))
                        .append(" | ")
                        .append(ratio(r, raw))
                        .append(" | ")
                        .append(ratio(r, peer))
                        .append(" |\n"));
        out.append('\n');
    }

    private void latency() {
        String scenario = Scenario.DIRECT_LATENCY.id();
        for (long rate : points(scenario, "rate")) {
            List<Result> p99s = select(r -> r.scenario().equals(scenario)
                    && r.param("rate") == rate
                    && r.metric().equals(Result.P99_MS));
            Optional<Result> raw = find(p99s, LettuceRawSystem.NAME);
            Optional<Result> peer = best(p99s, false);
            out.append("### direct-latency at ")
                    .append(number(rate))
                    .append(" msg/s (open loop, handler start − intended send time, ms)\n\n");
            out.append(
                            "| system | p50 | p90 | p99 | p99.9 | max | p99 × lettuce-plain | p99 × lettuce-raw | p99 × best peer")
                    .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                    .append(" |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Result p99 : p99s) {
                out.append("| ").append(p99.system());
                for (String metric :
                        List.of(Result.P50_MS, Result.P90_MS, Result.P99_MS, Result.P999_MS, Result.MAX_MS)) {
                    out.append(" | ")
                            .append(select(r -> r.scenario().equals(scenario)
                                            && r.param("rate") == rate
                                            && r.system().equals(p99.system())
                                            && r.metric().equals(metric))
                                    .stream()
                                    .findFirst()
                                    .map(r -> millis(r.value()))
                                    .orElse("–"));
                }
                out.append(" | ")
                        .append(plain(p99))
                        .append(" | ")
                        .append(ratio(p99, raw))
                        .append(" | ")
                        .append(ratio(p99, peer))
                        .append(" |\n");
            }
            out.append('\n');
        }
    }

    private void fanIn() {
        String scenario = Scenario.FAN_IN.id();
        List<Result> rows =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.MSGS_PER_S));
        if (rows.isEmpty()) {
            return;
        }
        out.append("### fan-in (N agents, one inbox and one running instance each, in one process")
                .append(runs(rows))
                .append(")\n\n");
        out.append(
                        "| system | agents | msgs/s | × lettuce-plain | × lettuce-raw | × same system at 1 agent | Redis connections |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result row : rows) {
            long agents = row.param("agents");
            Optional<Result> raw = select(r -> r.scenario().equals(scenario)
                            && r.param("agents") == agents
                            && r.metric().equals(Result.MSGS_PER_S)
                            && r.system().equals(LettuceRawSystem.NAME))
                    .stream()
                    .findFirst();
            Optional<Result> one = select(r -> r.scenario().equals(scenario)
                            && r.param("agents") == 1
                            && r.metric().equals(Result.MSGS_PER_S)
                            && r.system().equals(row.system()))
                    .stream()
                    .findFirst();
            String connections = select(r -> r.scenario().equals(scenario)
                            && r.param("agents") == agents
                            && r.metric().equals(Result.CONNECTIONS)
                            && r.system().equals(row.system()))
                    .stream()
                    .findFirst()
                    .map(r -> number(r.value()))
                    .orElse("–");
            out.append("| ")
                    .append(row.system())
                    .append(" | ")
                    .append(number(agents))
                    .append(" | ")
                    .append(number(row.value()))
                    .append(" | ")
                    .append(plain(row))
                    .append(" | ")
                    .append(ratio(row, raw))
                    .append(" | ")
                    .append(ratio(row, one))
                    .append(" | ")
                    .append(connections)
                    .append(" |\n");
        }
        out.append('\n');
    }

    private void payloadSize() {
        String scenario = Scenario.PAYLOAD_SIZE.id();
        List<Result> rows =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.MB_PER_S));
        if (rows.isEmpty()) {
            return;
        }
        out.append("### payload-size (1 producer → 1 consumer, MB/s of payload, 1 MB = 10^6 bytes)\n\n");
        out.append(
                "| system | payload | MB/s | msgs/s | × lettuce-plain | × lettuce-raw | × best peer |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (long size : points(scenario, "payload_bytes")) {
            List<Result> atSize =
                    rows.stream().filter(r -> r.param("payload_bytes") == size).toList();
            Optional<Result> raw = find(atSize, LettuceRawSystem.NAME);
            Optional<Result> peer = best(atSize, true);
            for (Result row : atSize) {
                String messages = select(r -> r.scenario().equals(scenario)
                                && r.param("payload_bytes") == size
                                && r.metric().equals(Result.MSGS_PER_S)
                                && r.system().equals(row.system()))
                        .stream()
                        .findFirst()
                        .map(r -> number(r.value()))
                        .orElse("–");
                out.append("| ")
                        .append(row.system())
                        .append(Systems.isRedisBenchmark(row.system()) ? " (XADD only)" : "")
                        .append(" | ")
                        .append(bytes(size))
                        .append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f", row.value()))
                        .append(" | ")
                        .append(messages)
                        .append(" | ")
                        .append(plain(row))
                        .append(" | ")
                        .append(ratio(row, raw))
                        .append(" | ")
                        .append(ratio(row, peer))
                        .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                        .append(" |\n");
            }
        }
        out.append('\n');
    }

    /** backlog-drain: each system's drain rate and time to empty, against lettuce-plain, lettuce-raw and the best peer. */
    private void backlogDrain() {
        String scenario = Scenario.BACKLOG_DRAIN.id();
        List<Result> rows =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.MSGS_PER_S));
        if (rows.isEmpty()) {
            return;
        }
        Optional<Result> raw = find(rows, LettuceRawSystem.NAME);
        Optional<Result> peer = best(rows, true);
        out.append("### backlog-drain (")
                .append(number(
                        rows.stream().mapToLong(r -> r.param("messages")).max().orElse(-1)))
                .append(" messages of 256 B queued in one inbox with no consumer, then one consumer started;")
                .append(" until every message was handled and acknowledged)\n\n");
        out.append("| system | msgs/s | time to empty (s) | × lettuce-plain | × lettuce-raw | × best peer")
                .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                .append(" |\n|---|---:|---:|---:|---:|---:|\n");
        for (Result row : rows) {
            out.append("| ")
                    .append(row.system())
                    .append(" | ")
                    .append(number(row.value()))
                    .append(" | ")
                    .append(figure(scenario, row.system(), Result.TIME_TO_EMPTY_S)
                            .map(r -> String.format(Locale.ROOT, "%.2f", r.value()))
                            .orElse("–"))
                    .append(" | ")
                    .append(plain(row))
                    .append(" | ")
                    .append(ratio(row, raw))
                    .append(" | ")
                    .append(ratio(row, peer))
                    .append(" |\n");
        }
        out.append('\n');
    }

    /**
     * department: per system, the fixed-rate run and the as-fast-as-handled run, each with the messages handled
     * per second across its processes, the latency percentiles and the connections, against lettuce-plain.
     */
    private void department() {
        String scenario = Scenario.DEPARTMENT.id();
        List<Result> rows =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.MSGS_PER_S));
        if (rows.isEmpty()) {
            return;
        }
        Result first = rows.get(0);
        out.append("### department (")
                .append(number(first.param("agents")))
                .append(" agents in ")
                .append(number(first.param("processes")))
                .append(" processes, each sending 256 B to every other in turn; ")
                .append(number(first.param("seconds")))
                .append(" s at a fixed total rate, then ")
                .append(number(first.param("seconds")))
                .append(" s as fast as handled; handler start − (intended) send time, ms)\n\n");
        out.append(
                        "| system | load | msgs/s | p50 | p90 | p99 | p99.9 | max | Redis connections | msgs/s × lettuce-plain |"
                                + " p99 × lettuce-plain |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result row : rows) {
            Object load = row.params().get("load");
            java.util.function.Function<String, Optional<Result>> of =
                    metric -> select(r -> r.scenario().equals(scenario)
                                    && r.system().equals(row.system())
                                    && r.metric().equals(metric)
                                    && String.valueOf(load)
                                            .equals(String.valueOf(r.params().get("load"))))
                            .stream()
                            .findFirst();
            out.append("| ")
                    .append(row.system())
                    .append(" | ")
                    .append(
                            DepartmentScenario.AT_RATE.equals(load)
                                    ? number(row.param("rate")) + " msg/s"
                                    : "as fast as handled")
                    .append(" | ")
                    .append(number(row.value()));
            for (String metric : List.of(Result.P50_MS, Result.P90_MS, Result.P99_MS, Result.P999_MS, Result.MAX_MS)) {
                out.append(" | ")
                        .append(of.apply(metric).map(r -> millis(r.value())).orElse("–"));
            }
            out.append(" | ")
                    .append(of.apply(Result.CONNECTIONS)
                            .map(r -> number(r.value()))
                            .orElse("–"))
                    .append(" | ")
                    .append(plain(row))
                    .append(" | ")
                    .append(of.apply(Result.P99_MS).map(Tables::plain).orElse("–"))
                    .append(" |\n");
        }
        out.append('\n');
    }

    /** The one figure of {@code metric} that {@code system} has in backlog-drain. */
    private Optional<Result> figure(String scenario, String system, String metric) {
        return select(r -> r.scenario().equals(scenario)
                        && r.system().equals(system)
                        && r.metric().equals(metric))
                .stream()
                .findFirst();
    }

    /**
     * broadcast or durable-topic: deliveries per second at each subscriber count, against lettuce-raw and
     * the best peer at the same count, with the connections held; broadcast also lists the PUBLISH ceiling.
     */
    private void fanOut(Scenario scenario, String shape) {
        List<Result> rows = select(r -> r.scenario().equals(scenario.id())
                && r.metric().equals(Result.MSGS_PER_S)
                && !Systems.isRedisBenchmark(r.system()));
        if (rows.isEmpty()) {
            return;
        }
        out.append("### ")
                .append(scenario)
                .append(" (")
                .append(shape)
                .append(", 256 B, deliveries/s across all")
                .append(runs(rows))
                .append(")\n\n");
        out.append("| system | subscribers | deliveries/s | × lettuce-raw | × best peer | Redis connections |\n")
                .append("|---|---:|---:|---:|---:|---:|\n");
        for (long subscribers : points(scenario.id(), "subscribers")) {
            List<Result> atCount = rows.stream()
                    .filter(r -> r.param("subscribers") == subscribers)
                    .toList();
            Optional<Result> raw = find(atCount, LettuceRawSystem.NAME);
            Optional<Result> peer = best(atCount, true);
            for (Result row : atCount) {
                String connections = select(r -> r.scenario().equals(scenario.id())
                                && r.param("subscribers") == subscribers
                                && r.metric().equals(Result.CONNECTIONS)
                                && r.system().equals(row.system()))
                        .stream()
                        .findFirst()
                        .map(r -> number(r.value()))
                        .orElse("–");
                out.append("| ")
                        .append(row.system())
                        .append(" | ")
                        .append(number(subscribers))
                        .append(" | ")
                        .append(number(row.value()))
                        .append(" | ")
                        .append(ratio(row, raw))
                        .append(" | ")
                        .append(ratio(row, peer))
                        .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                        .append(" | ")
                        .append(connections)
                        .append(" |\n");
            }
        }
        select(r -> r.scenario().equals(scenario.id()) && Systems.isRedisBenchmark(r.system()))
                .forEach(r -> out.append("| ")
                        .append(r.system())
                        .append(" (PUBLISH to no subscriber, ceiling) | 0 | ")
                        .append(number(r.value()))
                        .append(" | – | – | – |\n"));
        out.append('\n');
    }

    private void requestReply() {
        String scenario = Scenario.REQUEST_REPLY.id();
        List<Result> p99s =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.P99_MS));
        if (p99s.isEmpty()) {
            return;
        }
        out.append("### request-reply (256 B echoed, N round trips in flight, closed loop, round-trip ms)\n\n");
        out.append(
                        "| system | in flight | round trips/s | p50 | p90 | p99 | p99.9 | max | p99 × lettuce-raw | p99 × best peer |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (long concurrency : points(scenario, "concurrency")) {
            List<Result> atLevel = p99s.stream()
                    .filter(r -> r.param("concurrency") == concurrency)
                    .toList();
            Optional<Result> raw = find(atLevel, LettuceRawSystem.NAME);
            Optional<Result> peer = best(atLevel, false);
            for (Result p99 : atLevel) {
                out.append("| ").append(p99.system()).append(" | ").append(number(concurrency));
                for (String metric : List.of(
                        Result.MSGS_PER_S,
                        Result.P50_MS,
                        Result.P90_MS,
                        Result.P99_MS,
                        Result.P999_MS,
                        Result.MAX_MS)) {
                    out.append(" | ")
                            .append(select(r -> r.scenario().equals(scenario)
                                            && r.param("concurrency") == concurrency
                                            && r.system().equals(p99.system())
                                            && r.metric().equals(metric))
                                    .stream()
                                    .findFirst()
                                    .map(r -> metric.equals(Result.MSGS_PER_S) ? number(r.value()) : millis(r.value()))
                                    .orElse("–"));
                }
                out.append(" | ")
                        .append(ratio(p99, raw))
                        .append(" | ")
                        .append(ratio(p99, peer))
                        .append(peer.map(p -> " (" + p.system() + ")").orElse(""))
                        .append(" |\n");
            }
        }
        out.append('\n');
    }

    /**
     * cluster: each system's throughput on one server and on the cluster, the ratio cluster/standalone,
     * the connections the process held on all nodes; then how many messages each master stored.
     */
    private void cluster() {
        String scenario = Scenario.CLUSTER.id();
        List<Result> rows =
                select(r -> r.scenario().equals(scenario) && r.metric().equals(Result.MSGS_PER_S));
        if (rows.isEmpty()) {
            return;
        }
        long agents = rows.stream().mapToLong(r -> r.param("agents")).max().orElse(-1);
        out.append("### cluster (")
                .append(number(agents))
                .append(" agents in one process, direct throughput, 256 B, 1 producer, one server vs a cluster")
                .append(runs(rows))
                .append(")\n\n");
        out.append(
                        "| system | topology | masters | msgs/s | × standalone | Redis connections (this process, all nodes) |\n")
                .append("|---|---|---:|---:|---:|---:|\n");
        for (Result row : rows) {
            Object topology = row.params().get("topology");
            Optional<Result> standalone = select(r -> r.scenario().equals(scenario)
                            && r.metric().equals(Result.MSGS_PER_S)
                            && r.system().equals(row.system())
                            && ClusterScenario.STANDALONE.equals(r.params().get("topology")))
                    .stream()
                    .findFirst();
            String connections = select(r -> r.scenario().equals(scenario)
                            && r.metric().equals(Result.CONNECTIONS)
                            && r.system().equals(row.system())
                            && String.valueOf(topology)
                                    .equals(String.valueOf(r.params().get("topology"))))
                    .stream()
                    .findFirst()
                    .map(r -> number(r.value()))
                    .orElse("–");
            out.append("| ")
                    .append(row.system())
                    .append(" | ")
                    .append(topology)
                    .append(" | ")
                    .append(number(row.param("masters")))
                    .append(" | ")
                    .append(number(row.value()))
                    .append(" | ")
                    .append(ratio(row, standalone))
                    .append(" | ")
                    .append(connections)
                    .append(" |\n");
        }
        List<Result> stored = select(r -> r.scenario().equals(scenario)
                && r.metric().equals(Result.STORED_MESSAGES)
                && ClusterScenario.CLUSTER.equals(r.params().get("topology")));
        if (!stored.isEmpty()) {
            out.append("\n| system | master | node | agents (inbox streams) | messages stored | share |\n")
                    .append("|---|---:|---|---:|---:|---:|\n");
            for (Result shard : stored) {
                double total = stored.stream()
                        .filter(r -> r.system().equals(shard.system()))
                        .mapToDouble(Result::value)
                        .sum();
                out.append("| ")
                        .append(shard.system())
                        .append(" | ")
                        .append(shard.param("master"))
                        .append(" | ")
                        .append(shard.params().get("node"))
                        .append(" | ")
                        .append(number(shard.param("streams")))
                        .append(" | ")
                        .append(number(shard.value()))
                        .append(" | ")
                        .append(total > 0 ? String.format(Locale.ROOT, "%.1f %%", 100 * shard.value() / total) : "–")
                        .append(" |\n");
            }
        }
        out.append('\n');
    }

    private void redisBenchmark() {
        List<Result> rows = select(r -> Systems.isRedisBenchmark(r.system())
                && r.metric().equals(Result.MSGS_PER_S)
                && (r.scenario().equals(Scenario.DIRECT_THROUGHPUT.id())
                        || r.scenario().equals(Scenario.BROADCAST.id())));
        if (rows.isEmpty()) {
            return;
        }
        out.append("### redis-benchmark, the server's ceiling (256 B, 50 clients, sends only: no reader, no ack)\n\n");
        out.append("| command | -P 1 (msgs/s) | -P 16 (msgs/s) |\n|---|---:|---:|\n");
        for (String command : List.of("XADD", "EVALSHA", "LPUSH", "PUBLISH")) {
            out.append("| ")
                    .append(
                            command.equals("EVALSHA")
                                    ? "EVALSHA send.lua"
                                    : command.equals("PUBLISH") ? "PUBLISH (no subscriber)" : command);
            for (String system : List.of(RedisBenchmark.P1, RedisBenchmark.P16)) {
                out.append(" | ")
                        .append(rows.stream()
                                .filter(r -> r.system().equals(system)
                                        && command.equals(r.params().get("command")))
                                .findFirst()
                                .map(r -> number(r.value()))
                                .orElse("–"));
            }
            out.append(" |\n");
        }
        out.append('\n');
    }

    /** Issue 18's targets: ratios to lettuce-plain (the plain design on the same client) and to Redisson. */
    private void targets() {
        List<String> lines = new ArrayList<>();
        List<Result> tput = select(r -> r.scenario().equals(Scenario.DIRECT_THROUGHPUT.id())
                && r.metric().equals(Result.MSGS_PER_S)
                && !Systems.isRedisBenchmark(r.system()));
        Optional<Result> plain = find(tput, LettucePlainSystem.NAME);
        find(tput, AgentBusSystem.NAME).ifPresent(bus -> {
            plain.ifPresent(ceiling -> lines.add(target(
                    "direct-throughput ≥ 0.6 × lettuce-plain",
                    bus.value() / ceiling.value(),
                    0.6,
                    true,
                    "lettuce-plain")));
            find(tput, RedissonSystem.NAME)
                    .ifPresent(redisson -> lines.add(target(
                            "direct-throughput ≥ 1.5 × redisson",
                            bus.value() / redisson.value(),
                            1.5,
                            true,
                            "redisson")));
        });
        find(tput, AgentBusSystem.NO_AUDIT)
                .ifPresent(bus -> plain.ifPresent(ceiling -> lines.add(target(
                        "direct-throughput with auditCap(0) ≥ 0.85 × lettuce-plain",
                        bus.value() / ceiling.value(),
                        0.85,
                        true,
                        "lettuce-plain"))));
        for (long rate : List.of(1_000L, 10_000L)) {
            for (String metric : List.of(Result.P50_MS, Result.P99_MS)) {
                double bound = metric.equals(Result.P50_MS) ? 1.3 : 1.5;
                latency(AgentBusSystem.NAME, rate, metric)
                        .ifPresent(bus -> latency(LettucePlainSystem.NAME, rate, metric)
                                .ifPresent(ceiling -> lines.add(target(
                                        "direct-latency " + metric.replace("_ms", "") + " at " + number(rate)
                                                + " msg/s ≤ " + bound + " × lettuce-plain's",
                                        bus.value() / ceiling.value(),
                                        bound,
                                        false,
                                        "lettuce-plain's"))));
            }
        }
        List<Result> fan = select(
                r -> r.system().equals(AgentBusSystem.NAME) && r.scenario().equals(Scenario.FAN_IN.id()));
        Optional<Result> one = fan.stream()
                .filter(r -> r.param("agents") == 1 && r.metric().equals(Result.MSGS_PER_S))
                .findFirst();
        Optional<Result> most = fan.stream()
                .filter(r -> r.metric().equals(Result.MSGS_PER_S))
                .max(Comparator.comparingLong(r -> r.param("agents")));
        if (one.isPresent() && most.isPresent() && most.get().param("agents") > 1) {
            lines.add(target(
                    "fan-in at " + number(most.get().param("agents")) + " agents ≥ 0.8 × at 1 agent",
                    most.get().value() / one.get().value(),
                    0.8,
                    true,
                    "agentbus at 1 agent"));
            TreeSet<Double> connections = new TreeSet<>();
            fan.stream().filter(r -> r.metric().equals(Result.CONNECTIONS)).forEach(r -> connections.add(r.value()));
            lines.add("- fan-in connections constant: " + (connections.size() == 1 ? "**met**" : "**missed**") + " ("
                    + connections.stream().map(Tables::number).toList() + ")");
        }
        if (!lines.isEmpty()) {
            out.append("### Targets (reported, not asserted)\n\n");
            lines.forEach(line -> out.append(line).append('\n'));
            out.append('\n');
        }
    }

    private Optional<Result> latency(String system, long rate, String metric) {
        return select(r -> r.system().equals(system)
                        && r.scenario().equals(Scenario.DIRECT_LATENCY.id())
                        && r.param("rate") == rate
                        && r.metric().equals(metric))
                .stream()
                .findFirst();
    }

    /** ", median of N runs" when the rows are medians. */
    private static String runs(List<Result> rows) {
        long runs = rows.stream().mapToLong(r -> r.param("runs")).max().orElse(-1);
        return runs > 1 ? ", median of " + runs + " runs" : "";
    }

    private static String target(String name, double value, double bound, boolean atLeast, String against) {
        boolean met = atLeast ? value >= bound : value <= bound;
        String figure =
                against.equals("ms") ? millis(value) + " ms" : String.format(Locale.ROOT, "%.2f × %s", value, against);
        return "- " + name + ": " + (met ? "**met**" : "**missed**") + " (" + figure + ")";
    }

    private List<Result> select(Predicate<Result> filter) {
        return results.stream().filter(filter).toList();
    }

    private TreeSet<Long> points(String scenario, String param) {
        TreeSet<Long> points = new TreeSet<>();
        results.stream().filter(r -> r.scenario().equals(scenario)).forEach(r -> points.add(r.param(param)));
        points.remove(-1L);
        return points;
    }

    private static Optional<Result> find(List<Result> rows, String system) {
        return rows.stream().filter(r -> r.system().equals(system)).findFirst();
    }

    /** The best peer: highest throughput, or lowest latency. */
    private static Optional<Result> best(List<Result> rows, boolean higherIsBetter) {
        Comparator<Result> byValue = Comparator.comparingDouble(Result::value);
        return rows.stream()
                .filter(r -> Systems.PEERS.contains(r.system()))
                .max(higherIsBetter ? byValue : byValue.reversed());
    }

    /** The figure's ratio to lettuce-plain's, as {@link PlainRatios} computed it; a dash where there is none. */
    private static String plain(Result row) {
        return row.xLettucePlain() == null ? "–" : String.format(Locale.ROOT, "%.2f", row.xLettucePlain());
    }

    private static String ratio(Result row, Optional<Result> base) {
        return base.filter(b -> b.value() > 0)
                .map(b -> String.format(Locale.ROOT, "%.2f", row.value() / b.value()))
                .orElse("–");
    }

    static String number(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String millis(double value) {
        return value >= 10
                ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 1 ? String.format(Locale.ROOT, "%.2f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    private static String bytes(long size) {
        return size >= 1024 && size % 1024 == 0 ? (size / 1024) + " KiB" : size + " B";
    }
}
