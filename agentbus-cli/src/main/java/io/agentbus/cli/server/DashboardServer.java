package io.agentbus.cli.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.audit.AuditEntry;
import io.agentbus.audit.AuditQuery;
import io.agentbus.cli.AuditCursor;
import io.agentbus.cli.AuditFormat;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.DeadLetterFormat;
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
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of {@code agentbus server}, on the JDK's {@link HttpServer}:
 * <ul>
 * <li>{@code GET /metrics}: the Prometheus text exposition of the registry the bus reports to, plus the
 *     {@link RedisGauges};</li>
 * <li>{@code GET /api/stats}: the latest {@link StatsSampler} sample as {@link BusStatsSnapshot#toJson};</li>
 * <li>{@code GET /api/tail[?after=CURSOR]}: the newest audit records, or those after an {@link AuditCursor};</li>
 * <li>{@code GET /api/dlq/AGENT}, {@code POST /api/dlq/AGENT/redrive}: dead letters, and their redrive;</li>
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

    private static final Map<String, String> STATIC =
            Map.of("/", "index.html", "/dashboard.js", "dashboard.js", "/dashboard.css", "dashboard.css");

    private final HttpServer http;
    private final AgentBus bus;
    private final PrometheusMeterRegistry registry;
    private final StatsSampler sampler;
    private final ExecutorService workers;

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

    /** {@code GET /api/dlq/AGENT} lists; {@code POST /api/dlq/AGENT/redrive} redrives. */
    private void deadLetters(HttpExchange exchange) throws IOException {
        String rest = exchange.getRequestURI().getPath().substring("/api/dlq/".length());
        boolean redrive = rest.endsWith("/redrive");
        String agent = redrive ? rest.substring(0, rest.length() - "/redrive".length()) : rest;
        handle(exchange, redrive ? "POST" : "GET", ex -> {
            DeadLetters deadLetters = bus.deadLetters(AgentId.of(agent));
            if (redrive) {
                redrive(ex, deadLetters);
            } else {
                listDeadLetters(ex, deadLetters);
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
        // Only JSON bodies: a browser must ask (CORS preflight, which this server never grants) before it may
        // POST JSON from another site's page, so no web page can redrive dead letters behind the user's back.
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.startsWith("application/json")) {
            throw new IllegalArgumentException(
                    "POST a JSON body ({\"ids\": [...]} or {\"all\": true})" + " with Content-Type application/json");
        }
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = MAPPER.readTree(in);
        }
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
        sampler.close();
        workers.shutdownNow();
    }
}
