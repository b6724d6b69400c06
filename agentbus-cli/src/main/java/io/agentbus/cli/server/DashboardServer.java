package io.agentbus.cli.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.InboxEnd;
import io.agentbus.InboxStats;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.PendingEntry;
import io.agentbus.StoredEntry;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.cli.AuditCursor;
import io.agentbus.cli.AuditFormat;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.DeadLetterFormat;
import io.agentbus.cli.InboxEntryFormat;
import io.agentbus.cli.Redriven;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetters;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of {@code agentbus server}, on the JDK's {@link HttpServer}:
 * <ul>
 * <li>{@code GET /metrics}: the Prometheus text exposition of the registry the bus reports to, plus the
 *     {@link RedisGauges};</li>
 * <li>{@code GET /api/stats}: the latest {@link StatsSampler} sample as {@link BusStatsSnapshot#toJson};</li>
 * <li>{@code GET /api/tail[?after=CURSOR]}: the newest audit records, or those after an {@link AuditCursor};</li>
 * <li>{@code GET /api/dlq/AGENT}, {@code POST /api/dlq/AGENT/redrive}, {@code POST /api/dlq/AGENT/purge}: dead
 *     letters, their redrive and their purge;</li>
 * <li>{@code GET /api/history[?agent=AGENT]}: the last hour of rates and depths, {@link StatsHistory};</li>
 * <li>{@code GET /api/agents/AGENT}: the agent's figures and consumers; {@code GET /api/agents/AGENT/messages}
 *     and {@code GET /api/agents/AGENT/pending}: its entries and pending entries, read without consuming
 *     ({@link AgentBus#peek}, {@link AgentBus#pendingEntries});</li>
 * <li>{@code GET /}: the dashboard, static files from the jar that poll the JSON API.</li>
 * </ul>
 * It does not own the bus or the registry; {@link #close} stops serving and sampling.
 */
final class DashboardServer implements AutoCloseable {

    static final int TAIL_LIMIT = 50;
    static final int DLQ_LIMIT = 100;
    private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON = "application/json; charset=utf-8";
    /** What registry.scrape() writes: the Prometheus text format 0.0.4, which every Prometheus version reads. */
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    static final int PEEK_DEFAULT = 10;
    /** The most entries one peek or pending read of the dashboard returns. */
    static final int MAX_ENTRIES = 100;

    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/dashboard.js", "dashboard.js",
            "/charts.js", "charts.js",
            "/agent.js", "agent.js",
            "/dashboard.css", "dashboard.css");

    private final HttpServer http;
    private final AgentBus bus;
    private final PrometheusMeterRegistry registry;
    private final StatsSampler sampler;
    private final ExecutorService workers;
    private final StatsHistory history = new StatsHistory();
    private final ScheduledExecutorService historyRecorder = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "agentbus-history");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Serves on {@code http}, which the caller created (bound) so that a port in use fails before a bus is
     * opened; takes the first stats sample before it returns.
     *
     * @param forgetConsumersAfter how long a dead consumer holding nothing stays listed ({@link StatsSampler})
     */
    DashboardServer(HttpServer http, AgentBus bus, PrometheusMeterRegistry registry, Duration forgetConsumersAfter) {
        this.http = http;
        this.bus = bus;
        this.registry = registry;
        this.sampler = new StatsSampler(bus, new RedisGauges(registry), forgetConsumersAfter);
        long period = StatsHistory.RESOLUTION.toMillis();
        historyRecorder.scheduleAtFixedRate(this::recordHistory, 0, period, TimeUnit.MILLISECONDS);
        // A few threads, so that one slow Redis read (a large DLQ) does not hold up the metrics scrape.
        this.workers = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "agentbus-http");
            thread.setDaemon(true);
            return thread;
        });
        http.setExecutor(workers);
        http.createContext("/metrics", exchange -> handle(exchange, "GET", this::metrics));
        http.createContext("/api/stats", exchange -> handle(exchange, "GET", this::stats));
        http.createContext("/api/tail", exchange -> handle(exchange, "GET", this::tail));
        http.createContext("/api/dlq/", this::deadLetters);
        http.createContext("/api/history", exchange -> handle(exchange, "GET", this::history));
        http.createContext("/api/agents/", exchange -> handle(exchange, "GET", this::agent));
        http.createContext("/", exchange -> handle(exchange, "GET", this::staticFile));
        http.start();
    }

    InetSocketAddress address() {
        return http.getAddress();
    }

    private void metrics(HttpExchange exchange) throws IOException {
        send(exchange, 200, PROMETHEUS_TEXT, registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    private void stats(HttpExchange exchange) throws IOException {
        StatsSampler.Sample sample = sampler.latest();
        ObjectNode json = sample.snapshot().toJson(sample.rate(), sample.failing());
        json.put("sample_error", sampler.lastFailure());
        // A failed sample leaves the last one in place: its age says how stale the figures are.
        json.put(
                "sample_age_ms",
                Duration.ofNanos(System.nanoTime() - sample.snapshot().nanoTime())
                        .toMillis());
        sendJson(exchange, 200, json);
    }

    private void tail(HttpExchange exchange) throws IOException {
        String after = queryParameter(exchange, "after");
        AuditCursor cursor = after == null || after.isEmpty() ? new AuditCursor() : AuditCursor.decode(after);
        List<AuditEntry> records = after == null || after.isEmpty()
                ? bus.audit().tail(AuditQuery.all(), TAIL_LIMIT)
                : bus.audit().after(AuditQuery.all(), cursor.lastIdByShard(), TAIL_LIMIT);
        cursor.advance(records);
        ObjectNode json = MAPPER.createObjectNode();
        ArrayNode entries = json.putArray("entries");
        records.forEach(record -> entries.add(MAPPER.valueToTree(AuditFormat.asMap(record))));
        json.put("cursor", cursor.encode());
        sendJson(exchange, 200, json);
    }

    /**
     * {@code GET /api/dlq/AGENT} lists; {@code POST /api/dlq/AGENT/redrive} redrives; {@code POST
     * /api/dlq/AGENT/purge} purges.
     */
    private void deadLetters(HttpExchange exchange) throws IOException {
        String rest = exchange.getRequestURI().getPath().substring("/api/dlq/".length());
        int slash = rest.indexOf('/');
        String agent = slash < 0 ? rest : rest.substring(0, slash);
        String action = slash < 0 ? "" : rest.substring(slash + 1);
        handle(exchange, action.isEmpty() ? "GET" : "POST", ex -> {
            DeadLetters deadLetters = bus.deadLetters(AgentId.of(agent));
            switch (action) {
                case "" -> listDeadLetters(ex, deadLetters);
                case "redrive" -> redrive(ex, deadLetters);
                case "purge" -> purge(ex, deadLetters);
                default -> sendJson(ex, 404, error("no such action: " + action + "; use redrive or purge"));
            }
        });
    }

    private void listDeadLetters(HttpExchange exchange, DeadLetters deadLetters) throws IOException {
        long count = deadLetters.count();
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", deadLetters.agent().value());
        json.put("count", count);
        ArrayNode list = json.putArray("dead_letters");
        for (DeadLetter dead : count == 0 ? List.<DeadLetter>of() : deadLetters.list(DLQ_LIMIT)) {
            list.add(DeadLetterFormat.node(dead));
        }
        sendJson(exchange, 200, json);
    }

    /** Body {@code {"ids": [...]}} (entry ids or message_ids), or {@code {"all": true}}. */
    private void redrive(HttpExchange exchange, DeadLetters deadLetters) throws IOException {
        JsonNode body = jsonBody(exchange, "{\"ids\": [...]} or {\"all\": true}");
        ObjectNode json = MAPPER.createObjectNode();
        if (body != null && body.path("all").asBoolean(false)) {
            json.put("redriven", deadLetters.redriveAll(moved -> {}));
            json.putArray("missing");
        } else if (body != null
                && body.path("ids").isArray()
                && !body.path("ids").isEmpty()) {
            List<String> ids = new ArrayList<>();
            body.path("ids").forEach(id -> ids.add(id.asText()));
            Redriven result = Redriven.byIds(deadLetters, ids);
            json.put("redriven", result.count());
            result.missing().forEach(json.putArray("missing")::add);
        } else {
            throw new IllegalArgumentException("give {\"ids\": [...]} or {\"all\": true}");
        }
        sendJson(exchange, 200, json);
    }

    /** Body {@code {"all": true}}, or {@code {"older_than_ms": N}} for those that failed more than N ms ago. */
    private void purge(HttpExchange exchange, DeadLetters deadLetters) throws IOException {
        JsonNode body = jsonBody(exchange, "{\"all\": true} or {\"older_than_ms\": N}");
        long purged;
        if (body != null && body.path("all").asBoolean(false)) {
            purged = deadLetters.purge();
        } else if (body != null && body.path("older_than_ms").canConvertToLong()) {
            long olderThan = body.path("older_than_ms").asLong();
            if (olderThan < 0) {
                throw new IllegalArgumentException("older_than_ms must be >= 0, was " + olderThan);
            }
            purged = deadLetters.purgeOlderThan(Duration.ofMillis(olderThan));
        } else {
            throw new IllegalArgumentException("give {\"all\": true} or {\"older_than_ms\": N}");
        }
        sendJson(exchange, 200, MAPPER.createObjectNode().put("purged", purged));
    }

    /**
     * The JSON body of a POST that changes the bus. Only JSON bodies: a browser must ask (CORS preflight, which
     * this server never grants) before it may POST JSON from another site's page, so no web page can redrive or
     * purge dead letters behind the user's back.
     */
    private static JsonNode jsonBody(HttpExchange exchange, String expected) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.startsWith("application/json")) {
            throw new IllegalArgumentException(
                    "POST a JSON body (" + expected + ") with Content-Type application/json");
        }
        try (InputStream in = exchange.getRequestBody()) {
            return MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not JSON: " + e.getOriginalMessage());
        }
    }

    /** Every {@link StatsHistory#RESOLUTION}: a point from the latest sample, or a gap while sampling fails. */
    private void recordHistory() {
        try {
            StatsSampler.Sample sample = sampler.latest();
            boolean fresh = sampler.lastFailure() == null;
            history.record(
                    System.currentTimeMillis(),
                    fresh ? Optional.of(sample.snapshot().toJson(sample.rate(), sample.failing())) : Optional.empty(),
                    sample.snapshot().nanoTime());
        } catch (RuntimeException e) {
            // A thrown exception would end the schedule, and with it the history.
            log.warn("history point skipped: {}", e.toString());
        }
    }

    /** {@code GET /api/history[?agent=AGENT]}: the bus's history, or the agent's. */
    private void history(HttpExchange exchange) throws IOException {
        String agent = queryParameter(exchange, "agent");
        Optional<String> which = agent == null || agent.isEmpty()
                ? Optional.empty()
                : Optional.of(AgentId.of(agent).value());
        Optional<ObjectNode> json = history.toJson(which);
        if (json.isEmpty()) {
            sendJson(exchange, 404, error("no history of agent " + agent + ": not a known agent (agents:known)"));
            return;
        }
        sendJson(exchange, 200, json.get());
    }

    /** {@code GET /api/agents/AGENT[/messages|/pending]}. */
    private void agent(HttpExchange exchange) throws IOException {
        String rest = exchange.getRequestURI().getPath().substring("/api/agents/".length());
        int slash = rest.indexOf('/');
        AgentId agent = AgentId.of(slash < 0 ? rest : rest.substring(0, slash));
        String what = slash < 0 ? "" : rest.substring(slash + 1);
        StatsSampler.Sample sample = sampler.latest();
        Optional<InboxStats> inbox = sample.snapshot().inboxes().stream()
                .filter(stats -> stats.agent().equals(agent))
                .findFirst();
        if (inbox.isEmpty()) {
            // Read-only: an unknown agent is reported, never created by reading its keys.
            sendJson(exchange, 404, error("no such agent: " + agent + " (not in agents:known)"));
            return;
        }
        switch (what) {
            case "" -> agentSummary(exchange, sample, inbox.get());
            case "messages" -> peek(exchange, agent);
            case "pending" -> pendingEntries(exchange, agent);
            default ->
                sendJson(
                        exchange,
                        404,
                        error("no such page: " + exchange.getRequestURI().getPath()));
        }
    }

    /**
     * The agent's object of {@code /api/stats} (so it has whatever that JSON has) with its consumers and their
     * idle times, and how fresh the sample is.
     */
    private void agentSummary(HttpExchange exchange, StatsSampler.Sample sample, InboxStats inbox) throws IOException {
        ObjectNode json = MAPPER.createObjectNode();
        for (JsonNode agent :
                sample.snapshot().toJson(sample.rate(), sample.failing()).path("agents")) {
            if (agent.path("agent").asText().equals(inbox.agent().value())) {
                json.set("agent", agent);
            }
        }
        ArrayNode consumers = json.putArray("consumers");
        for (InboxStats.ConsumerStats consumer : inbox.consumers()) {
            consumers
                    .addObject()
                    .put("name", consumer.name())
                    .put("pending", consumer.pending())
                    .put("idle_ms", consumer.idle().toMillis());
        }
        json.put("sample_error", sampler.lastFailure());
        json.put(
                "sample_age_ms",
                Duration.ofNanos(System.nanoTime() - sample.snapshot().nanoTime())
                        .toMillis());
        sendJson(exchange, 200, json);
    }

    /** {@code ?from=oldest|newest&n=N}: entries of the inbox, read without consuming them. */
    private void peek(HttpExchange exchange, AgentId agent) throws IOException {
        String from = queryParameter(exchange, "from");
        InboxEnd end;
        if (from == null || from.equals("newest")) {
            end = InboxEnd.NEWEST;
        } else if (from.equals("oldest")) {
            end = InboxEnd.OLDEST;
        } else {
            throw new IllegalArgumentException("from must be oldest or newest, was " + from);
        }
        int n = count(exchange, PEEK_DEFAULT);
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", agent.value());
        json.put("from", end.name().toLowerCase(Locale.ROOT));
        ArrayNode messages = json.putArray("messages");
        for (StoredEntry entry : bus.sync().peek(agent, end, n)) {
            messages.addObject()
                    .put("entry_id", entry.entryId())
                    .put("band", InboxEntryFormat.band(agent, entry.stream()))
                    .put("unread", entry.unread())
                    .setAll(InboxEntryFormat.fields(entry.fields()));
        }
        sendJson(exchange, 200, json);
    }

    /** {@code [?n=N]}: up to N pending entries over the bands, oldest first, with their owner and idle time. */
    private void pendingEntries(HttpExchange exchange, AgentId agent) throws IOException {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("agent", agent.value());
        ArrayNode pending = json.putArray("pending");
        for (PendingEntry entry : bus.sync().pendingEntries(agent, count(exchange, MAX_ENTRIES))) {
            pending.addObject()
                    .put("entry_id", entry.entryId())
                    .put("band", InboxEntryFormat.band(agent, entry.stream()))
                    .put("consumer", entry.consumer())
                    .put("idle_ms", entry.idle().toMillis())
                    .put("deliveries", entry.deliveries());
        }
        sendJson(exchange, 200, json);
    }

    /** The {@code n} query parameter: 1 to {@link #MAX_ENTRIES}, {@code otherwise} when absent. */
    private static int count(HttpExchange exchange, int otherwise) {
        String n = queryParameter(exchange, "n");
        if (n == null || n.isEmpty()) {
            return otherwise;
        }
        try {
            int count = Integer.parseInt(n);
            if (count >= 1 && count <= MAX_ENTRIES) {
                return count;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new IllegalArgumentException("n must be a whole number from 1 to " + MAX_ENTRIES + ", was " + n);
    }

    private void staticFile(HttpExchange exchange) throws IOException {
        String file = STATIC.get(exchange.getRequestURI().getPath());
        if (file == null) {
            sendJson(
                    exchange,
                    404,
                    error("no such page: " + exchange.getRequestURI().getPath()));
            return;
        }
        try (InputStream in = DashboardServer.class.getResourceAsStream("dashboard/" + file)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + file + " is missing from the jar");
            }
            String type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : "text/css";
            send(exchange, 200, type + "; charset=utf-8", in.readAllBytes());
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    /**
     * Runs a handler for one method, and turns failures into JSON errors: 400 for bad input (as ExpectedFailures
     * maps it for the commands), 503 for a bus that failed.
     */
    private static void handle(HttpExchange exchange, String method, Handler handler) throws IOException {
        try {
            if (!exchange.getRequestMethod().equals(method)) {
                exchange.getResponseHeaders().set("Allow", method);
                sendJson(exchange, 405, error(exchange.getRequestMethod() + " not allowed; use " + method));
                return;
            }
            handler.handle(exchange);
        } catch (IllegalArgumentException | InvalidEnvelopeException e) {
            sendJson(exchange, 400, error(e.getMessage()));
        } catch (AgentBusException e) {
            sendJson(exchange, 503, error(e.getMessage()));
        } catch (RuntimeException e) {
            log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            sendJson(exchange, 500, error(e.toString()));
        } finally {
            exchange.close();
        }
    }

    private static ObjectNode error(String message) {
        return MAPPER.createObjectNode().put("error", message);
    }

    private static String queryParameter(HttpExchange exchange, String name) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            if (key.equals(name)) {
                return equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode json) throws IOException {
        send(exchange, status, JSON, MAPPER.writeValueAsBytes(json));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(1); // lets exchanges in progress finish for up to a second
        historyRecorder.shutdownNow();
        sampler.close();
        workers.shutdownNow();
    }
}
