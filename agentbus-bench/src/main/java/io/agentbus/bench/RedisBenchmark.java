package io.agentbus.bench;

import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.ProtocolScripts;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Redis ceiling: {@code redis-benchmark} (from PATH) against a fresh server, for the commands the
 * systems issue: XADD of the same 8 protocol fields, agentbus's send script by EVALSHA, the seed's LPUSH
 * (direct-throughput), and PUBLISH to a channel nobody listens to (broadcast). 50 clients (its default), pipelining 1 or 16. It measures
 * sends only: no reader, no ack, so it is a ceiling, not a peer.
 */
final class RedisBenchmark {

    static final String P1 = "redis-benchmark-p1";
    static final String P16 = "redis-benchmark-p16";
    private static final int CLIENTS = 50;
    /** The agent every command writes to. */
    private static final String AGENT = "bench";
    /** redis-benchmark replaces it with a random number in each command: a fresh message id. */
    private static final String RANDOM = "__rand_int__";

    private final Plan plan;
    private final Status status;

    RedisBenchmark(Plan plan, Status status) {
        this.plan = plan;
        this.status = status;
    }

    /** redis-benchmark on PATH, or null. */
    static Path binary() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "redis-benchmark");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    static boolean pipelined(String system) {
        return system.equals(P16);
    }

    List<Result> run(String system, List<Scenario> scenarios) throws Exception {
        int pipeline = pipelined(system) ? 16 : 1;
        List<Result> results = new ArrayList<>();
        if (scenarios.contains(Scenario.DIRECT_THROUGHPUT)) {
            for (String command : List.of("XADD", "EVALSHA", "LPUSH")) {
                double rps = measure(command, pipeline, Plan.PAYLOAD_BYTES);
                results.add(new Result(
                        system,
                        Scenario.DIRECT_THROUGHPUT.id(),
                        Result.MSGS_PER_S,
                        SystemRun.round(rps),
                        Map.of(
                                "command",
                                command,
                                "pipeline",
                                pipeline,
                                "clients",
                                CLIENTS,
                                "requests",
                                plan.benchmarkRequests(),
                                "payload_bytes",
                                Plan.PAYLOAD_BYTES)));
            }
        }
        if (scenarios.contains(Scenario.BROADCAST)) {
            double rps = measure("PUBLISH", pipeline, Plan.PAYLOAD_BYTES);
            results.add(new Result(
                    system,
                    Scenario.BROADCAST.id(),
                    Result.MSGS_PER_S,
                    SystemRun.round(rps),
                    Map.of(
                            "command",
                            "PUBLISH",
                            "subscribers",
                            0,
                            "pipeline",
                            pipeline,
                            "clients",
                            CLIENTS,
                            "requests",
                            plan.benchmarkRequests(),
                            "payload_bytes",
                            Plan.PAYLOAD_BYTES)));
        }
        if (scenarios.contains(Scenario.PAYLOAD_SIZE)) {
            for (int size : plan.payloadSizes()) {
                double rps = measure("XADD", pipeline, size);
                Map<String, Object> params = Map.of(
                        "command",
                        "XADD",
                        "pipeline",
                        pipeline,
                        "clients",
                        CLIENTS,
                        "requests",
                        requests(size),
                        "payload_bytes",
                        size);
                results.add(new Result(
                        system,
                        Scenario.PAYLOAD_SIZE.id(),
                        Result.MB_PER_S,
                        SystemRun.round(rps * size / 1e6),
                        params));
                results.add(new Result(
                        system, Scenario.PAYLOAD_SIZE.id(), Result.MSGS_PER_S, SystemRun.round(rps), params));
            }
        }
        return results;
    }

    private int requests(int size) {
        return size == Plan.PAYLOAD_BYTES ? plan.benchmarkRequests() : plan.payloadMessages(size);
    }

    private double measure(String command, int pipeline, int size) throws Exception {
        status.phase("redis-benchmark " + command + " -P " + pipeline + " " + size + " B");
        try (LocalRedis redis = LocalRedis.start()) {
            String payload = Payloads.stamped(0, size);
            List<String> args = new ArrayList<>(List.of(
                    binary().toString(),
                    "-h",
                    redis.host(),
                    "-p",
                    Integer.toString(redis.port()),
                    "-c",
                    Integer.toString(CLIENTS),
                    "-n",
                    Integer.toString(requests(size)),
                    "-P",
                    Integer.toString(pipeline),
                    "-r",
                    "100000000000",
                    "--csv"));
            args.addAll(command(command, redis, payload));
            Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IOException("redis-benchmark failed: " + output);
            }
            return requestsPerSecond(output);
        }
    }

    private static List<String> command(String command, LocalRedis redis, String payload) {
        List<String> fields = List.of(
                WireFields.V,
                Integer.toString(Envelope.PROTOCOL_VERSION),
                WireFields.MESSAGE_ID,
                RANDOM,
                WireFields.FROM_AGENT,
                "producer",
                WireFields.TO_AGENT,
                AGENT,
                WireFields.MESSAGE_TYPE,
                "bench",
                WireFields.PAYLOAD,
                payload,
                WireFields.TIMESTAMP,
                "2025-11-03T10:30:00.123Z",
                WireFields.PRIORITY,
                Integer.toString(Payloads.PRIORITY));
        String inbox = Payloads.inbox(AGENT);
        List<String> args = new ArrayList<>();
        switch (command) {
            case "XADD" -> {
                args.addAll(List.of("XADD", inbox, "*"));
                args.addAll(fields);
            }
            case "EVALSHA" -> {
                args.addAll(List.of(
                        "EVALSHA",
                        loadSendScript(redis),
                        "4",
                        inbox,
                        Payloads.dedup(AGENT, RANDOM),
                        KeySchema.auditMessages(AGENT),
                        KeySchema.counters(inbox),
                        Long.toString(SendOptions.DEFAULT_DEDUP_WINDOW.toMillis()),
                        "",
                        Long.toString(SendOptions.DEFAULT_MAX_INBOX_LENGTH),
                        Long.toString(BusOptions.DEFAULT_AUDIT_CAP)));
                args.addAll(fields);
            }
            case "LPUSH" -> args.addAll(List.of("LPUSH", "agent_bench", payload));
            case "PUBLISH" -> args.addAll(List.of("PUBLISH", "events:bench:tick", payload));
            default -> throw new IllegalArgumentException(command);
        }
        return args;
    }

    private static String loadSendScript(LocalRedis redis) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return connection.sync().scriptLoad(ProtocolScripts.source("send.lua"));
        } finally {
            client.shutdown();
        }
    }

    /** The rps column of the CSV line; counted from the end, because the test name holds the payload's commas. */
    static double requestsPerSecond(String csv) throws IOException {
        List<String> lines = csv.lines().filter(line -> !line.isBlank()).toList();
        String last = lines.get(lines.size() - 1);
        String[] columns = last.split(",");
        if (columns.length < 8) {
            throw new IOException("unexpected redis-benchmark output: " + csv);
        }
        return Double.parseDouble(columns[columns.length - 7].replace("\"", ""));
    }
}
