package io.agentbus.cli.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The last hour of the bus, kept in memory by {@code agentbus server} so that the dashboard's charts survive a page
 * reload: every {@link #RESOLUTION} one point of rates (sent, acked, dead-lettered per second, from the deltas of the
 * {@code agent:{id}:counters} between two points) and depths (backlog, pending, dead letters), for the whole bus and
 * for each agent, served by {@code GET /api/history[?agent=ID]}.
 *
 * <p>Memory: one ring of {@link #CAPACITY} timestamps shared by all series, and per agent {@link Series#values() six}
 * float columns of the same length (about 17 KB an agent); an agent that is no longer in a sample is dropped with
 * its ring. A point recorded while sampling fails is a gap (no value), so a chart shows the outage as one.
 *
 * <p>Points are read from the {@code /api/stats} JSON rather than from the records, so a figure that JSON gains
 * (the backlog, {@code unread}) is charted as soon as it is there, and is a gap while it is not.
 *
 * <p>Threads: {@link #record} by the recording thread, {@link #toJson} by HTTP threads; both synchronized.
 */
final class StatsHistory {

    /** The time between two points. */
    static final Duration RESOLUTION = Duration.ofSeconds(5);
    /** Points kept: one hour at {@link #RESOLUTION}. */
    static final int CAPACITY = 720;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** What is charted, by its JSON name. */
    enum Series {
        SENT_PER_SECOND("sent_per_second"),
        ACKED_PER_SECOND("acked_per_second"),
        DEAD_LETTERED_PER_SECOND("dead_lettered_per_second"),
        BACKLOG("backlog"),
        PENDING("pending"),
        DEAD_LETTERS("dead_letters");

        final String json;

        Series(String json) {
            this.json = json;
        }
    }

    private final long[] times = new long[CAPACITY];
    private int size;
    private int next;
    private final float[][] total = newColumns();
    private final Map<String, float[][]> agents = new HashMap<>();
    /** The stats of the previous recorded point that had fresh figures, and when they were taken: the rates' base. */
    private JsonNode previous;

    private long previousNanos;

    /**
     * Adds one point at {@code atMillis}: the figures of {@code stats} (the {@code /api/stats} JSON, taken at
     * {@code sampledNanos} on {@link System#nanoTime}'s scale), or a gap for every series when {@code stats} is
     * empty (the sample is stale). Agents absent from a fresh {@code stats} are dropped.
     */
    synchronized void record(long atMillis, Optional<JsonNode> stats, long sampledNanos) {
        int slot = next;
        times[slot] = atMillis;
        next = (next + 1) % CAPACITY;
        size = Math.min(size + 1, CAPACITY);
        if (stats.isEmpty()) {
            writeGap(total, slot);
            agents.values().forEach(columns -> writeGap(columns, slot));
            return;
        }
        JsonNode now = stats.get();
        double seconds = previous == null ? 0 : (sampledNanos - previousNanos) / 1e9;
        Map<String, JsonNode> before = previous == null ? Map.of() : byAgent(previous);
        Set<String> present = new HashSet<>();
        long backlogSum = 0;
        boolean backlogKnown = now.path("agents").size() > 0;
        for (JsonNode agent : now.path("agents")) {
            String id = agent.path("agent").asText();
            present.add(id);
            float[][] columns = agents.computeIfAbsent(id, unused -> newColumns());
            JsonNode earlier = before.get(id);
            write(
                    columns,
                    slot,
                    agent,
                    agent.path("counters"),
                    earlier == null ? null : earlier.path("counters"),
                    seconds);
            backlogKnown &= agent.path("unread").isNumber();
            backlogSum += agent.path("unread").asLong();
        }
        agents.keySet().retainAll(present);
        JsonNode totals = now.path("totals");
        write(total, slot, totals, totals, previous == null ? null : previous.path("totals"), seconds);
        if (!totals.path("unread").isNumber() && backlogKnown) {
            total[Series.BACKLOG.ordinal()][slot] = backlogSum;
        }
        previous = now;
        previousNanos = sampledNanos;
    }

    /** The history of {@code agent}, or of the whole bus when empty; empty when the agent has no history. */
    synchronized Optional<ObjectNode> toJson(Optional<String> agent) {
        float[][] columns = agent.isEmpty() ? total : agents.get(agent.get());
        if (columns == null) {
            return Optional.empty();
        }
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", agent.orElse(null));
        json.put("resolution_ms", RESOLUTION.toMillis());
        ArrayNode at = json.putArray("times");
        ObjectNode series = json.putObject("series");
        int first = (next - size + CAPACITY) % CAPACITY;
        for (int i = 0; i < size; i++) {
            at.add(times[(first + i) % CAPACITY]);
        }
        for (Series name : Series.values()) {
            ArrayNode values = series.putArray(name.json);
            for (int i = 0; i < size; i++) {
                float value = columns[name.ordinal()][(first + i) % CAPACITY];
                if (Float.isNaN(value)) {
                    values.addNull();
                } else {
                    values.add(value);
                }
            }
        }
        return Optional.of(json);
    }

    /**
     * Writes one point: depths from {@code figures}, rates from the deltas of {@code counters} over
     * {@code seconds}, a gap for a rate without an earlier point and for the backlog where it is not given.
     */
    private static void write(
            float[][] columns, int slot, JsonNode figures, JsonNode counters, JsonNode earlier, double seconds) {
        columns[Series.SENT_PER_SECOND.ordinal()][slot] = rate(counters, earlier, "sent", seconds);
        columns[Series.ACKED_PER_SECOND.ordinal()][slot] = rate(counters, earlier, "acked", seconds);
        columns[Series.DEAD_LETTERED_PER_SECOND.ordinal()][slot] = rate(counters, earlier, "dead_lettered", seconds);
        columns[Series.BACKLOG.ordinal()][slot] = figure(figures, "unread");
        columns[Series.PENDING.ordinal()][slot] = figure(figures, "pending");
        columns[Series.DEAD_LETTERS.ordinal()][slot] = figure(figures, "dead_letters");
    }

    private static float rate(JsonNode counters, JsonNode earlier, String counter, double seconds) {
        if (earlier == null || seconds <= 0 || !counters.path(counter).isNumber()) {
            return Float.NaN;
        }
        // Clamped at 0: a counter only shrinks when its hash was deleted, which is no negative traffic.
        long delta = Math.max(
                0, counters.path(counter).asLong() - earlier.path(counter).asLong());
        return (float) (delta / seconds);
    }

    private static float figure(JsonNode figures, String name) {
        return figures.path(name).isNumber() ? figures.path(name).floatValue() : Float.NaN;
    }

    private static void writeGap(float[][] columns, int slot) {
        for (float[] column : columns) {
            column[slot] = Float.NaN;
        }
    }

    /** Columns with no value yet: an agent that appears now has a gap before it. */
    private static float[][] newColumns() {
        float[][] columns = new float[Series.values().length][CAPACITY];
        for (float[] column : columns) {
            Arrays.fill(column, Float.NaN);
        }
        return columns;
    }

    private static Map<String, JsonNode> byAgent(JsonNode stats) {
        Map<String, JsonNode> agents = new HashMap<>();
        stats.path("agents").forEach(agent -> agents.put(agent.path("agent").asText(), agent));
        return agents;
    }
}
