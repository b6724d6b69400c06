package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Runs the scenarios one system takes part in, each measurement on a redis-server of its own started
 * for it ({@link LocalRedis}: same binary, no persistence, loopback), after a warm-up on the same rig.
 */
final class SystemRun {

    /** What a measurement does with a connected rig. */
    private interface Work<T> {
        T run(Harness harness, BenchSystem.Rig rig, Sink sink) throws Exception;
    }

    /** How a scenario connects its system to a fresh server. */
    private interface Opening {
        BenchSystem.Rig open(LocalRedis redis, Sink sink) throws Exception;
    }

    private final BenchSystem system;
    private final Plan plan;
    private final Status status;
    private final java.util.function.Consumer<String> log;
    private final java.util.Optional<String> cluster;
    private final List<Result> results = new ArrayList<>();
    private final List<Map<String, String>> failures = new ArrayList<>();

    /**
     * {@code log} gets a line per measurement for bench.log: where the time went, the server's slow commands.
     * {@code cluster} is the {@code redis-cluster://} URI of the cluster scenario, if the user gave one.
     */
    SystemRun(
            BenchSystem system,
            Plan plan,
            Status status,
            java.util.function.Consumer<String> log,
            java.util.Optional<String> cluster) {
        this.system = system;
        this.plan = plan;
        this.status = status;
        this.log = log;
        this.cluster = cluster;
    }

    List<Result> results() {
        return results;
    }

    List<Map<String, String>> failures() {
        return failures;
    }

    void run(List<Scenario> scenarios) {
        for (Scenario scenario : scenarios) {
            if (!system.scenarios().contains(scenario)) {
                continue;
            }
            try {
                switch (scenario) {
                    case DIRECT_THROUGHPUT -> directThroughput();
                    case DIRECT_LATENCY -> directLatency();
                    case FAN_IN -> fanIn();
                    case PAYLOAD_SIZE -> payloadSize();
                    case BACKLOG_DRAIN -> backlogDrain();
                    case DEPARTMENT -> new DepartmentScenario(system, plan, status, log, results).run();
                    case BROADCAST -> fanOut(Scenario.BROADCAST, true, system::openBroadcast);
                    case DURABLE_TOPIC -> fanOut(Scenario.DURABLE_TOPIC, false, system::openDurableTopic);
                    case REQUEST_REPLY -> requestReply();
                    case CLUSTER -> new ClusterScenario(system, plan, status, log, cluster, results).run();
                }
            } catch (Exception | AssertionError e) {
                failures.add(failure(system.name(), scenario, e));
            }
        }
    }

    static Map<String, String> failure(String system, Scenario scenario, Throwable error) {
        Map<String, String> failure = new LinkedHashMap<>();
        failure.put("system", system);
        failure.put("scenario", scenario.id());
        failure.put("error", error.toString());
        return failure;
    }

    /** One warm-up and one measured run; {@link Bench} runs this in several rounds and takes the median. */
    private void directThroughput() throws Exception {
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        Harness.Throughput measured = onFreshServer(1, (harness, rig, sink) -> {
            harness.throughput(
                    rig, sink, 1, plan.directWarmup(), payload, plan.inFlight(), "direct-throughput warm-up");
            return harness.throughput(
                    rig, sink, 1, plan.throughputMessages(), payload, plan.inFlight(), "direct-throughput");
        });
        add(
                Scenario.DIRECT_THROUGHPUT,
                Result.MSGS_PER_S,
                measured.perSecond(),
                Map.of(
                        "messages",
                        measured.messages(),
                        "payload_bytes",
                        Plan.PAYLOAD_BYTES,
                        "in_flight",
                        plan.inFlight(),
                        "warmup_messages",
                        plan.directWarmup()));
    }

    private void directLatency() throws Exception {
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        for (int rate : plan.latencyRates()) {
            String label = "direct-latency " + rate + "/s";
            Histogram histogram = onFreshServer(1, (harness, rig, sink) -> {
                harness.throughput(rig, sink, 1, plan.throughputWarmup(), payload, plan.inFlight(), label + " warm-up");
                if (plan.latencyWarmupSeconds() > 0) {
                    harness.latency(
                            rig, sink, rate, plan.latencyWarmupSeconds(), Plan.PAYLOAD_BYTES, label + " warm-up");
                }
                return harness.latency(rig, sink, rate, plan.latencySeconds(), Plan.PAYLOAD_BYTES, label);
            });
            Map<String, Object> params = Map.of(
                    "rate",
                    rate,
                    "seconds",
                    plan.latencySeconds(),
                    "messages",
                    histogram.getTotalCount(),
                    "payload_bytes",
                    Plan.PAYLOAD_BYTES);
            addPercentiles(Scenario.DIRECT_LATENCY, histogram, params);
        }
    }

    private void addPercentiles(Scenario scenario, Histogram histogram, Map<String, Object> params) {
        add(scenario, Result.P50_MS, millis(histogram.getValueAtPercentile(50)), params);
        add(scenario, Result.P90_MS, millis(histogram.getValueAtPercentile(90)), params);
        add(scenario, Result.P99_MS, millis(histogram.getValueAtPercentile(99)), params);
        add(scenario, Result.P999_MS, millis(histogram.getValueAtPercentile(99.9)), params);
        add(scenario, Result.MAX_MS, millis(histogram.getMaxValue()), params);
    }

    private void fanIn() throws Exception {
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        for (int agents : plan.fanInAgents()) {
            String label = "fan-in " + agents + " agents";
            long[] connections = new long[1];
            List<Harness.Throughput> runs = onFreshServer(agents, (harness, rig, sink) -> {
                harness.throughput(
                        rig, sink, agents, plan.throughputWarmup(), payload, plan.inFlight(), label + " warm-up");
                List<Harness.Throughput> measured = new ArrayList<>();
                for (int run = 1; run <= plan.throughputRuns(); run++) {
                    measured.add(harness.throughput(
                            rig,
                            sink,
                            agents,
                            plan.fanInMessages(),
                            payload,
                            plan.inFlight(),
                            label + " run " + run + "/" + plan.throughputRuns()));
                }
                connections[0] = harness.connections();
                return measured;
            });
            Harness.Throughput measured = median(runs);
            Map<String, Object> params = Map.of(
                    "agents",
                    agents,
                    "messages",
                    measured.messages(),
                    "payload_bytes",
                    Plan.PAYLOAD_BYTES,
                    "in_flight",
                    plan.inFlight(),
                    "runs",
                    runs.size(),
                    "runs_msgs_per_s",
                    runs.stream().map(run -> round(run.perSecond())).toList());
            add(Scenario.FAN_IN, Result.MSGS_PER_S, measured.perSecond(), params);
            add(Scenario.FAN_IN, Result.CONNECTIONS, connections[0], params);
        }
    }

    /**
     * broadcast or durable-topic at each subscriber count: a warm-up, then {@link Plan#throughputRuns()}
     * runs of {@link Plan#fanOutDeliveries()} deliveries; the median is reported, with the connections held.
     */
    private void fanOut(Scenario scenario, boolean paced, FanOutOpening connect) throws Exception {
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        for (int subscribers : plan.subscribers()) {
            int messages = plan.fanOutMessages(subscribers);
            String label = scenario + " " + subscribers + (subscribers == 1 ? " subscriber" : " subscribers");
            long[] connections = new long[1];
            List<Harness.Throughput> runs = onFreshServer(
                    label, (redis, sink) -> connect.open(redis, subscribers, sink), (harness, rig, sink) -> {
                        harness.fanOut(
                                rig,
                                sink,
                                Math.max(100, messages / 5),
                                subscribers,
                                paced,
                                payload,
                                plan.inFlight(),
                                label + " warm-up");
                        List<Harness.Throughput> measured = new ArrayList<>();
                        for (int run = 1; run <= plan.throughputRuns(); run++) {
                            measured.add(harness.fanOut(
                                    rig,
                                    sink,
                                    messages,
                                    subscribers,
                                    paced,
                                    payload,
                                    plan.inFlight(),
                                    label + " run " + run + "/" + plan.throughputRuns()));
                        }
                        connections[0] = harness.connections();
                        return measured;
                    });
            Harness.Throughput measured = median(runs);
            Map<String, Object> params = Map.of(
                    "subscribers",
                    subscribers,
                    "messages",
                    messages,
                    "deliveries",
                    measured.messages(),
                    "payload_bytes",
                    Plan.PAYLOAD_BYTES,
                    "in_flight",
                    plan.inFlight(),
                    "runs",
                    runs.size(),
                    "runs_msgs_per_s",
                    runs.stream().map(run -> round(run.perSecond())).toList());
            add(scenario, Result.MSGS_PER_S, measured.perSecond(), params);
            add(scenario, Result.CONNECTIONS, connections[0], params);
        }
    }

    /** {@link BenchSystem#openBroadcast} or {@link BenchSystem#openDurableTopic}. */
    private interface FanOutOpening {
        BenchSystem.Rig open(LocalRedis redis, int subscribers, Sink sink) throws Exception;
    }

    private void requestReply() throws Exception {
        for (int concurrency : plan.concurrencies()) {
            String label = "request-reply " + concurrency + " in flight";
            Harness.RoundTrips measured = onFreshServer(label, system::openRequestReply, (harness, rig, sink) -> {
                harness.roundTrips(
                        rig,
                        sink,
                        concurrency,
                        Math.max(100, plan.roundTrips() / 5),
                        Plan.PAYLOAD_BYTES,
                        label + " warm-up");
                return harness.roundTrips(rig, sink, concurrency, plan.roundTrips(), Plan.PAYLOAD_BYTES, label);
            });
            Histogram histogram = measured.histogram();
            Map<String, Object> params = Map.of(
                    "concurrency",
                    concurrency,
                    "messages",
                    histogram.getTotalCount(),
                    "payload_bytes",
                    Plan.PAYLOAD_BYTES);
            add(Scenario.REQUEST_REPLY, Result.MSGS_PER_S, measured.throughput().perSecond(), params);
            addPercentiles(Scenario.REQUEST_REPLY, histogram, params);
        }
    }

    /** The median run: a burst of another process's work on this shared machine moves one run, not the figure. */
    static Harness.Throughput median(List<Harness.Throughput> runs) {
        List<Harness.Throughput> sorted = new ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingDouble(Harness.Throughput::perSecond));
        return sorted.get(sorted.size() / 2);
    }

    private void payloadSize() throws Exception {
        for (int size : plan.payloadSizes()) {
            String payload = Payloads.stamped(0, size);
            int messages = plan.payloadMessages(size);
            String label = "payload-size " + size + " B";
            Harness.Throughput measured = onFreshServer(1, (harness, rig, sink) -> {
                harness.throughput(
                        rig, sink, 1, Math.max(100, messages / 5), payload, plan.inFlight(), label + " warm-up");
                return harness.throughput(rig, sink, 1, messages, payload, plan.inFlight(), label);
            });
            Map<String, Object> params =
                    Map.of("payload_bytes", size, "messages", measured.messages(), "in_flight", plan.inFlight());
            add(Scenario.PAYLOAD_SIZE, Result.MB_PER_S, measured.perSecond() * size / 1e6, params);
            add(Scenario.PAYLOAD_SIZE, Result.MSGS_PER_S, measured.perSecond(), params);
        }
    }

    /**
     * A warm-up drain of {@link Plan#backlogWarmup()} messages on a server and rig of its own (a consumer starts
     * once per rig), then the measured drain of {@link Plan#backlogMessages()} on a fresh server.
     */
    private void backlogDrain() throws Exception {
        String payload = Payloads.stamped(0, Plan.PAYLOAD_BYTES);
        drainBacklog(plan.backlogWarmup(), payload, "backlog-drain warm-up");
        Harness.Throughput measured = drainBacklog(plan.backlogMessages(), payload, "backlog-drain");
        Map<String, Object> params = Map.of(
                "messages",
                measured.messages(),
                "payload_bytes",
                Plan.PAYLOAD_BYTES,
                "warmup_messages",
                plan.backlogWarmup());
        add(Scenario.BACKLOG_DRAIN, Result.MSGS_PER_S, measured.perSecond(), params);
        add(Scenario.BACKLOG_DRAIN, Result.TIME_TO_EMPTY_S, measured.nanos() / 1e9, params);
    }

    /** Queues {@code messages} in one inbox with no consumer running, then starts one and times the drain. */
    private Harness.Throughput drainBacklog(int messages, String payload, String label) throws Exception {
        return onFreshServer(
                label, (redis, sink) -> system.openBacklog(redis, List.of("worker-0"), sink), (harness, rig, sink) -> {
                    long queueing = System.nanoTime();
                    harness.fill(
                            (BenchSystem.Backlog) rig,
                            sink,
                            messages,
                            payload,
                            plan.inFlight(),
                            label + ": queueing " + messages + " messages");
                    log.accept(String.format(
                            java.util.Locale.ROOT,
                            "%s: %s, %d messages queued in %.2f s with no consumer",
                            system.name(),
                            label,
                            messages,
                            (System.nanoTime() - queueing) / 1e9));
                    return harness.drain((BenchSystem.Backlog) rig, sink, messages, label);
                });
    }

    private <T> T onFreshServer(int agents, Work<T> work) throws Exception {
        List<String> names = new ArrayList<>(agents);
        for (int i = 0; i < agents; i++) {
            names.add("worker-" + i);
        }
        return onFreshServer(
                agents + (agents == 1 ? " agent" : " agents"), (redis, sink) -> system.open(redis, names, sink), work);
    }

    /** Opens the rig on a redis-server started for this measurement; {@code what} names its size, for the log. */
    private <T> T onFreshServer(String what, Opening connect, Work<T> work) throws Exception {
        status.phase("starting redis-server");
        try (LocalRedis redis = LocalRedis.start();
                Harness harness = new Harness(redis, status)) {
            status.phase("connecting " + what);
            Sink sink = new Sink();
            long opening = System.nanoTime();
            BenchSystem.Rig rig = connect.open(redis, sink);
            long working = System.nanoTime();
            try {
                return work.run(harness, rig, sink);
            } finally {
                status.phase("closing");
                harness.slowCommands().forEach(line -> log.accept(system.name() + ": slow on the server: " + line));
                long closing = System.nanoTime();
                rig.close();
                log.accept(String.format(
                        java.util.Locale.ROOT,
                        "%s: %s, open %.1f s, work %.1f s, close %.1f s",
                        system.name(),
                        what,
                        (working - opening) / 1e9,
                        (closing - working) / 1e9,
                        (System.nanoTime() - closing) / 1e9));
            }
        }
    }

    private void add(Scenario scenario, String metric, double value, Map<String, Object> params) {
        results.add(new Result(system.name(), scenario.id(), metric, round(value), params));
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** Four significant digits at most: more would be noise on this machine. */
    static double round(double value) {
        if (value == 0 || !Double.isFinite(value)) {
            return value;
        }
        return new java.math.BigDecimal(value)
                .round(new java.math.MathContext(4))
                .doubleValue();
    }
}
