package io.agentbus.bench;

import java.util.List;

/**
 * How much work each scenario does: the full run (about 35 minutes on 2 cores) or the CI-sized
 * {@code --quick} run (about 2 minutes). Every measured run is preceded by a warm-up of the same kind on
 * the same rig.
 *
 * @param throughputMessages    direct-throughput messages measured per run
 * @param directRounds          direct-throughput rounds: each round runs every system once, one after the
 *                              other, each in a fresh JVM; the median of a system's rounds is reported
 * @param directWarmup          direct-throughput messages sent in each JVM before its measured run
 * @param throughputRuns        fan-in (and cluster, per topology) runs after the warm-up, in one JVM; the
 *                              median is reported
 * @param throughputWarmup      messages sent before measuring, in the other scenarios
 * @param inFlight              sends a producer keeps in flight, every system alike
 * @param latencyRates          open-loop rates, messages per second
 * @param latencySeconds        length of each measured open-loop run
 * @param latencyWarmupSeconds  open-loop warm-up at the same rate, after the throughput warm-up
 * @param fanInAgents           agent counts of fan-in
 * @param fanInMessages         messages measured per run at each agent count; runs as for throughput
 * @param payloadSizes          payload bytes of payload-size
 * @param payloadBytesPerRun    payload bytes measured per size (messages = this / size, capped)
 * @param payloadMaxMessages    cap on the messages of one payload-size run
 * @param benchmarkRequests     requests of each redis-benchmark run
 * @param subscribers           subscriber (broadcast) and subscriber group (durable-topic) counts
 * @param fanOutDeliveries      deliveries measured per run at each count (messages = this / count); runs
 *                              and warm-up as for fan-in
 * @param concurrencies         request-reply round trips kept in flight
 * @param roundTrips            request-reply round trips measured at each concurrency, after a fifth as many
 *                              to warm up
 * @param clusterAgents         agents of the cluster scenario, on one server and on the cluster alike
 * @param clusterMessages       cluster messages measured per run, spread evenly over the agents
 * @param clusterWarmup         cluster messages sent on each topology before its measured runs
 * @param backlogMessages       messages queued before backlog-drain's consumer starts
 * @param backlogWarmup         messages of the warm-up drain, on a server and rig of its own, before the
 *                              measured one
 * @param departmentProcesses   processes (JVMs) of the department scenario
 * @param departmentAgents      agents in each of those processes
 * @param departmentRate        total messages per second of the department's fixed-rate run
 * @param departmentSeconds     length of each of the department's two measured runs (fixed rate, as fast as
 *                              handled)
 * @param departmentWarmupSeconds department traffic as fast as handled before them, same processes, not counted
 */
record Plan(
        int throughputMessages,
        int directRounds,
        int directWarmup,
        int throughputRuns,
        int throughputWarmup,
        int inFlight,
        List<Integer> latencyRates,
        int latencySeconds,
        int latencyWarmupSeconds,
        List<Integer> fanInAgents,
        int fanInMessages,
        List<Integer> payloadSizes,
        long payloadBytesPerRun,
        int payloadMaxMessages,
        int benchmarkRequests,
        List<Integer> subscribers,
        int fanOutDeliveries,
        List<Integer> concurrencies,
        int roundTrips,
        int clusterAgents,
        int clusterMessages,
        int clusterWarmup,
        int backlogMessages,
        int backlogWarmup,
        int departmentProcesses,
        int departmentAgents,
        int departmentRate,
        int departmentSeconds,
        int departmentWarmupSeconds) {

    static final int PAYLOAD_BYTES = 256;

    static Plan full() {
        return new Plan(
                200_000,
                3,
                50_000,
                3,
                20_000,
                1_000,
                List.of(1_000, 10_000),
                20,
                3,
                List.of(1, 10, 100, 1_000),
                40_000,
                List.of(256, 4 * 1024, 64 * 1024),
                320L * 1024 * 1024,
                100_000,
                200_000,
                List.of(1, 10, 100),
                100_000,
                List.of(1, 10, 100),
                10_000,
                1_000,
                40_000,
                10_000,
                100_000,
                20_000,
                3,
                5,
                1_000,
                20,
                // Three JVMs on 2 cores were still compiling (C2) after 5 s, which the measured runs paid for.
                30);
    }

    static Plan quick() {
        return new Plan(
                10_000,
                1,
                1_000,
                1,
                1_000,
                1_000,
                List.of(1_000),
                2,
                0,
                List.of(1, 10),
                2_000,
                List.of(256, 4 * 1024, 64 * 1024),
                4L * 1024 * 1024,
                2_000,
                10_000,
                List.of(10),
                4_000,
                List.of(10),
                500,
                100,
                2_000,
                500,
                10_000,
                2_000,
                3,
                5,
                1_000,
                5,
                1);
    }

    static Plan of(boolean quick) {
        return quick ? quick() : full();
    }

    /** Messages of one broadcast or durable-topic run: each is delivered {@code receivers} times. */
    int fanOutMessages(int receivers) {
        return Math.max(100, fanOutDeliveries / receivers);
    }

    int payloadMessages(int size) {
        return (int) Math.max(100, Math.min(payloadMaxMessages, payloadBytesPerRun / size));
    }
}
