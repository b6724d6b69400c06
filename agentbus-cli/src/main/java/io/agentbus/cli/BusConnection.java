package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.embedded.RedisSentinelGroup;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.stream.Collectors;
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
        announce("embedded " + bus.serverSoftware() + " at " + bus.redisUri());
        return bus;
    }

    /**
     * The Redis for a command that connects buses of its own ({@code demo}): the one {@link #redisUri()}
     * names, else a local deployment of {@code topology} (standalone when empty), started now and
     * announced on stderr. Closing it stops what it started; so do SIGTERM and Ctrl-C. Close the buses
     * first.
     *
     * @throws IllegalArgumentException (exit 2) if a topology is asked for while a Redis is given: the
     *     command would run on the given Redis, not on the deployment asked for
     */
    public Redis redis(Optional<LocalTopology> topology) {
        Optional<String> uri = redisUri();
        if (uri.isPresent()) {
            if (topology.isPresent()) {
                throw new IllegalArgumentException("--topology " + topology.get() + " starts a local Redis, but "
                        + (top().redisUri != null ? "--redis" : REDIS_URL_VARIABLE) + " names one to use: give"
                        + " one of the two (with --redis the topology is the one of that Redis)");
            }
            return new Redis(uri.get(), null);
        }
        switch (topology.orElse(LocalTopology.STANDALONE)) {
            case STANDALONE -> {
                LocalRedis local = closedOnExit(LocalRedis.start());
                announce("embedded Redis " + local.version() + " at " + local.uri());
                return new Redis(local.uri(), local::close);
            }
            case SENTINEL -> {
                RedisSentinelGroup group = closedOnExit(RedisSentinelGroup.start());
                LocalRedis master = group.master();
                announce("local Sentinel group of Redis " + group.version() + ": master " + address(master) + ", "
                        + group.replicas().size() + " replicas "
                        + group.replicas().stream().map(BusConnection::address).collect(Collectors.joining(","))
                        + ", sentinels " + group.uri());
                return new Redis(group.uri(), group::close);
            }
            case CLUSTER -> {
                RedisClusterNodes cluster = closedOnExit(RedisClusterNodes.start());
                announce("local cluster of Redis " + cluster.version() + ": masters "
                        + cluster.masters().stream().map(BusConnection::address).collect(Collectors.joining(","))
                        + ", one replica each, at " + cluster.uri());
                return new Redis(cluster.uri(), cluster::close);
            }
            default -> throw new IllegalStateException("unknown topology " + topology);
        }
    }

    /**
     * A Redis the buses of a command connect to, given ({@code --redis}) or started for the command;
     * {@link #close()} stops what was started.
     */
    public static final class Redis implements AutoCloseable {
        private final String uri;
        private final Runnable stop;

        private Redis(String uri, Runnable stop) {
            this.uri = uri;
            this.stop = stop;
        }

        public String uri() {
            return uri;
        }

        /** A bus on this Redis, closed by SIGTERM and Ctrl-C too; the caller closes it before this. */
        public AgentBus connect(BusOptions options) {
            return closedOnExit(AgentBus.connect(uri, options));
        }

        @Override
        public void close() {
            if (stop != null) {
                stop.run();
            }
        }
    }

    /** On stderr, what the command started, since its data vanishes when the command ends. */
    private void announce(String started) {
        PrintWriter err = command.commandLine().getErr();
        err.printf("agentbus: %s (stopped on exit)%n", started);
        err.flush();
    }

    private static String address(LocalRedis node) {
        return node.host() + ":" + node.port();
    }

    /**
     * SIGTERM and Ctrl-C run the JVM's shutdown hooks, not the command's try-with-resources: closing the
     * bus there too lets its running instances finish, settle, and remove their consumers and presence
     * instead of leaving them in Redis for ever. Closing twice is harmless.
     */
    private static <T extends AutoCloseable> T closedOnExit(T closeable) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(closeable), "agentbus-close-on-exit"));
        return closeable;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // The JVM is exiting; a server that does not stop is killed with it.
        }
    }

    private BusConnection top() {
        return ((AgentBusCommand) command.root().userObject()).connection;
    }
}
