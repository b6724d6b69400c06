package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The global {@code --redis} option and the bus it names, mixed into every command ({@code @Mixin}), so
 * that {@code --redis URI} is accepted before or after any command and subcommand. Wherever it is given,
 * the value is kept by the top-level command's instance; the last one given wins.
 */
public final class BusConnection {

    /** The environment variable read when no {@code --redis} is given. */
    public static final String REDIS_URL_VARIABLE = "AGENTBUS_REDIS_URL";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    private String redisUri;

    @Option(
            names = "--redis",
            paramLabel = "URI",
            description = {
                "Redis to use, e.g. redis://localhost:6379, rediss://user:password@host:6380/0, or a"
                        + " Sentinel-managed master: redis-sentinel://h1:26379,h2:26379,h3:26379#mymaster, or a cluster's"
                        + " seed nodes: redis-cluster://h1:7000,h2:7001,h3:7002.",
                "Default: the environment variable " + REDIS_URL_VARIABLE + "; without it, a private redis-server"
                        + " on a free loopback port, started for this command and stopped when it exits."
            })
    void setRedisUri(String uri) {
        // Not a default value: picocli would apply it to the instance of every command on the line,
        // overwriting a --redis given before the subcommand; the environment is read in redisUri().
        top().redisUri = uri;
    }

    /**
     * The Redis that {@code --redis} or {@code AGENTBUS_REDIS_URL} names, if any.
     *
     * @throws IllegalArgumentException if the one given is empty or blank: falling back to a throwaway
     *     embedded Redis would accept messages and lose them at exit, so that is a usage error (exit 2)
     */
    public Optional<String> redisUri() {
        String uri = top().redisUri;
        String source = "--redis";
        if (uri == null) {
            uri = System.getenv(REDIS_URL_VARIABLE);
            source = REDIS_URL_VARIABLE;
        }
        if (uri != null && uri.isBlank()) {
            throw new IllegalArgumentException(source + " is empty: give a Redis URI such as redis://localhost:6379,"
                    + " or neither --redis nor " + REDIS_URL_VARIABLE + " for a private redis-server that is"
                    + " stopped, with its data, when the command exits");
        }
        return Optional.ofNullable(uri);
    }

    /** {@link #open(BusOptions)} with {@link BusOptions#defaults()}. */
    public AgentBus open() {
        return open(BusOptions.defaults());
    }

    /**
     * Opens the bus that {@link #redisUri()} names, else an embedded one, announced on the command's
     * stderr because its data vanishes when the command ends. The caller closes it.
     */
    public AgentBus open(BusOptions options) {
        Optional<String> uri = redisUri();
        if (uri.isPresent()) {
            return closedOnExit(AgentBus.connect(uri.get(), options));
        }
        AgentBus bus = closedOnExit(AgentBus.embedded(options));
        PrintWriter err = command.commandLine().getErr();
        err.printf("agentbus: embedded %s at %s (stopped on exit)%n", bus.serverSoftware(), bus.redisUri());
        err.flush();
        return bus;
    }

    /**
     * SIGTERM and Ctrl-C run the JVM's shutdown hooks, not the command's try-with-resources: closing the
     * bus there too lets its running instances finish, settle, and remove their consumers and presence
     * instead of leaving them in Redis for ever. Closing twice is harmless.
     */
    private static AgentBus closedOnExit(AgentBus bus) {
        Runtime.getRuntime().addShutdownHook(new Thread(bus::close, "agentbus-close-on-exit"));
        return bus;
    }

    private BusConnection top() {
        return ((AgentBusCommand) command.root().userObject()).connection;
    }
}
