package io.agentbus.cli.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A {@link DashboardServer} on a free loopback port over a real Redis, wired as {@code agentbus server} wires it:
 * its bus reports to the Prometheus registry that {@code /metrics} serves. Tests drive traffic through
 * {@link #bus()} so that the bus's own meters get series, and read the server over real HTTP.
 */
final class RunningServer implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AgentBus bus;
    private final DashboardServer server;

    RunningServer(LocalRedis redis, BusOptions.Builder options) {
        this(redis, options, ServerCommand.DEFAULT_FORGET_CONSUMERS_AFTER);
    }

    RunningServer(LocalRedis redis, BusOptions.Builder options, Duration forgetConsumersAfter) {
        bus = AgentBus.connect(redis.uri(), options.meterRegistry(registry).build());
        try {
            server = new DashboardServer(
                    HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0), bus, registry, forgetConsumersAfter);
        } catch (IOException e) {
            bus.close();
            throw new UncheckedIOException(e);
        }
    }

    AgentBus bus() {
        return bus;
    }

    String baseUri() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUri() + path)).GET());
    }

    HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(baseUri() + path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    JsonNode getJson(String path) {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response.body());
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
        bus.close();
        registry.close();
    }
}
