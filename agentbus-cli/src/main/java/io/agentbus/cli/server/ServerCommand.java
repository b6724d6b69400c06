package io.agentbus.cli.server;

import com.sun.net.httpserver.HttpServer;
import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.DurationConverter;
import io.agentbus.cli.ExitCodes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentbus server}: the Prometheus endpoint, the JSON API and the live dashboard ({@link DashboardServer}). */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the bus over HTTP until Ctrl-C or SIGTERM.",
            "GET / is the live dashboard: message rate, charts of the last hour, the agents table (sortable,"
                    + " filterable, with each agent's status), live agents, swarms, a tail of the traffic;"
                    + " /#/agent/AGENT is one agent's page: consumers, pending entries, a peek at its messages,"
                    + " dead letters with redrive and purge.",
            "GET /metrics is the Prometheus text exposition: the meters of this server's bus, and what Redis holds,"
                    + " refreshed every second, per agent: agentbus_inbox_backlog (unread),"
                    + " agentbus_inbox_oldest_unread_age_seconds, agentbus_inbox_pending,"
                    + " agentbus_inbox_oldest_pending_age_seconds, agentbus_inbox_length (retained entries),"
                    + " agentbus_inbox_dead_letters, agentbus_agent_live, agentbus_agent_status and the counters"
                    + " agentbus_messages_*_total; absent while Redis is unreachable (docs/OPERATIONS.md).",
            "GET /api/stats is what agentbus stats --json prints, sampled every second.",
            "GET /api/tail gives the newest audit records and a cursor; /api/tail?after=CURSOR those after it.",
            "GET /api/dlq/AGENT gives AGENT's oldest " + DashboardServer.DLQ_LIMIT + " dead letters and their count;"
                    + " POST /api/dlq/AGENT/redrive with {\"ids\": [...]} or {\"all\": true} (Content-Type"
                    + " application/json) redrives them; POST /api/dlq/AGENT/purge with {\"all\": true} or"
                    + " {\"older_than_ms\": N} purges them.",
            "GET /api/history[?agent=AGENT] gives the last hour kept by the server (one point per 5 s) of the"
                    + " rates, backlog, pending and dead letters of the bus or of AGENT.",
            "GET /api/agents/AGENT gives AGENT's figures and consumers; /api/agents/AGENT/messages?from=oldest|newest"
                    + "&n=N its entries, read without consuming them; /api/agents/AGENT/pending its pending entries.",
            "Figures read from Redis (counters, inbox gauges) cover every process on the bus; meters such as"
                    + " message_latency_seconds cover this server's own bus only: scrape each process that runs"
                    + " agents (docs/OPERATIONS.md, Monitoring)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.INTERRUPTED + ":Stopped by Ctrl-C (SIGINT) after a clean shutdown: the JVM reports the signal.",
            ExitCodes.TERMINATED + ":Stopped by SIGTERM, likewise.",
            ExitCodes.FAILED_HELP,
            ExitCodes.REDIS_NOT_GIVEN_HELP,
            ExitCodes.INVALID_INPUT_HELP,
            ExitCodes.INCOMPLETE + ":Cannot listen on --bind:--port (in use, or not an address of this machine)."
        })
public final class ServerCommand implements Callable<Integer> {

    /** The port {@code agentbus server} listens on without {@code --port}: Prometheus exporters' custom. */
    public static final int DEFAULT_PORT = 9464;
    /** The address {@code agentbus server} listens on without {@code --bind}: loopback only. */
    public static final String DEFAULT_BIND = "127.0.0.1";
    /** How long a dead consumer holding nothing stays listed without {@code --forget-consumers-after}. */
    public static final Duration DEFAULT_FORGET_CONSUMERS_AFTER = Duration.ofHours(1);
    /** How long a Ctrl-C waits for the bus to close before the JVM exits anyway. */
    private static final long CLOSE_WAIT_SECONDS = 15;

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "" + DEFAULT_PORT,
            description =
                    "TCP port to listen on; 0 picks a free one. Default: ${DEFAULT-VALUE} (Prometheus exporters' custom).")
    private int port;

    @Option(
            names = "--bind",
            paramLabel = "ADDRESS",
            defaultValue = DEFAULT_BIND,
            description = "Address to listen on; 0.0.0.0 for every interface. The server has no authentication and can"
                    + " redrive dead letters: expose it only where that is fine. Default: ${DEFAULT-VALUE}.")
    private String bind;

    @Option(
            names = "--forget-consumers-after",
            paramLabel = "DURATION",
            defaultValue = "1h",
            converter = DurationConverter.class,
            description = "Remove a consumer from an agent's inbox group once it is dead (idle over "
                    + InboxStats.DEAD_AFTER_VISIBILITY_TIMEOUTS + " visibility timeouts, its instance not"
                    + " heartbeating), holds nothing pending, and has been idle this long: "
                    + DurationConverter.FORMS + "; 0s keeps them. Running instances sweep their agent's dead"
                    + " consumers themselves; this covers agents with none running. Default: ${DEFAULT-VALUE}.")
    private Duration forgetConsumersAfter;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--port must be 0..65535, was " + port);
        }
        connection.requireExisting(); // before the port is taken
        PrintWriter err = spec.commandLine().getErr();
        HttpServer http;
        try {
            // Bound before Redis is touched, so a port in use fails at once and starts no embedded Redis.
            http = HttpServer.create(new InetSocketAddress(bind, port), 0);
        } catch (IOException e) {
            err.println("agentbus: cannot listen on " + bind + ":" + port + ": " + e.getMessage()
                    + (port == 0 ? "" : " (is another server on it? choose another with --port)"));
            err.flush();
            return ExitCodes.INCOMPLETE;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // Ctrl-C runs the hooks: this one wakes the command and holds the JVM until the bus has closed.
        Thread hook = new Thread(
                () -> {
                    stopRequested.countDown();
                    awaitQuietly(closed);
                },
                "agentbus-server-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (AgentBus bus = connection.openExisting(
                        BusOptions.builder().meterRegistry(registry).build());
                DashboardServer server = new DashboardServer(http, bus, registry, forgetConsumersAfter)) {
            String base = "http://" + bind + ":" + server.address().getPort();
            err.println("agentbus server: dashboard " + base + "/  metrics " + base + "/metrics  (Ctrl-C stops)");
            err.flush();
            stopRequested.await();
            err.println("agentbus server: stopping");
            err.flush();
        } catch (RuntimeException e) {
            http.stop(0); // unbinds the port if the bus or the first sample failed before the server took it over
            throw e;
        } finally {
            registry.close();
            if (stopRequested.getCount() == 0) {
                err.println("agentbus server: stopped"); // before the hook returns and the JVM halts
                err.flush();
            }
            closed.countDown();
            removeHook(hook);
        }
        return ExitCodes.OK;
    }

    private static void awaitQuietly(CountDownLatch closed) {
        try {
            closed.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting and the hook runs already: it returns now that closed is counted down.
        }
    }
}
