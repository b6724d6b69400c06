package io.agentbus.bench;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The scenarios of the bench, by the names that the command line and results.json use. */
public enum Scenario {
    /** send → handler → ack, 1 producer, 1 consumer instance; messages per second. */
    DIRECT_THROUGHPUT("direct-throughput"),
    /** Open loop at fixed rates; percentiles of handler start − intended send time. */
    DIRECT_LATENCY("direct-latency"),
    /** 1 … 1,000 agents in one process; total throughput and Redis connections held. */
    FAN_IN("fan-in"),
    /** 256 B, 4 KiB, 64 KiB payloads; MB/s. */
    PAYLOAD_SIZE("payload-size"),
    /**
     * 100,000 messages of 256 B queued in one inbox with no consumer, then one consumer started; messages per
     * second from its start until the inbox is drained and acknowledged, and that time.
     */
    BACKLOG_DRAIN("backlog-drain"),
    /**
     * 15 agents in 3 processes (JVMs) of 5, each sending to the other 14 in turn, at a fixed total rate and as
     * fast as the department handles it; messages handled per second across all, and percentiles of handler
     * start − (intended) send time.
     */
    DEPARTMENT("department"),
    /** Ephemeral pub/sub to 1, 10, 100 subscribers in one process; deliveries per second, all subscribers. */
    BROADCAST("broadcast"),
    /** A stream topic read by 1, 10, 100 subscriber groups, acked; deliveries per second, all groups. */
    DURABLE_TOPIC("durable-topic"),
    /** 1, 10, 100 concurrent request → reply round trips; round trips per second and their percentiles. */
    REQUEST_REPLY("request-reply"),
    /**
     * Direct throughput to 1,000 agents on one server and on a 3-master cluster; messages per second, the
     * Redis connections the process holds (all nodes) and how many messages each master stored.
     */
    CLUSTER("cluster");

    private final String id;

    Scenario(String id) {
        this.id = id;
    }

    /** The name used on the command line and in results.json. */
    public String id() {
        return id;
    }

    /** The scenario called {@code id}; throws naming the known ones otherwise. */
    public static Scenario of(String id) {
        for (Scenario scenario : values()) {
            if (scenario.id.equals(id)) {
                return scenario;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + id + "'; known: "
                + Arrays.stream(values()).map(Scenario::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
