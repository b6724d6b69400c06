package io.agentbus.cli;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.TlsOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.embedded.RedisSentinelGroup;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The global {@code --redis} option, the TLS and credential options, and the bus they name, mixed into
 * every command ({@code @Mixin}), so that {@code --redis URI} is accepted before or after any command and
 * subcommand. Wherever it is given, the value is kept by the top-level command's instance; the last one
 * given wins. The TLS and credential settings are turned into bus options by {@link ConnectionSecurity}.
 */
public final class BusConnection {

    /** The environment variable read when no {@code --redis} is given. */
    public static final String REDIS_URL_VARIABLE = "AGENTBUS_REDIS_URL";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    private String redisUri;

    private boolean embedded;

    private final ConnectionSecurity security = new ConnectionSecurity(System.getenv());

    @Option(
            names = "--redis",
            paramLabel = "URI",
            description = {
                "Redis to use, e.g. redis://localhost:6379, rediss://user@host:6380/0 (the password from"
                        + " --password-file or " + ConnectionSecurity.PASSWORD_VARIABLE + ", out of the command line;"
                        + " rediss://user:password@host:6380/0 works too), or a Sentinel-managed master: redis-sentinel://h1:26379,h2:26379,h3:26379#mymaster, or a cluster's"
                        + " seed nodes: redis-cluster://h1:7000,h2:7001,h3:7002.",
                "Default: the environment variable " + REDIS_URL_VARIABLE + "; without it, the commands that send"
                        + " or receive start a private redis-server on a free loopback port, stopped when the command"
                        + " exits, and the operator commands (stats, check, inbox, dlq, audit, agents, swarm, server)"
                        + " refuse to run (exit " + ExitCodes.REDIS_NOT_GIVEN + ") unless --embedded is given."
            })
    void setRedisUri(String uri) {
        // Not a default value: picocli would apply it to the instance of every command on the line,
        // overwriting a --redis given before the subcommand; the environment is read in redisUri().
        top().redisUri = uri;
    }

    @Option(
            names = "--embedded",
            description = "Run on a private redis-server on a free loopback port, started for this command and stopped,"
                    + " with its data, when it exits; instead of " + REDIS_URL_VARIABLE
                    + ", and cannot go with --redis."
                    + " The operator commands (stats, check, inbox, dlq, audit, agents, swarm, server) need it to run"
                    + " without a given Redis: they would answer from an empty bus.")
    void setEmbedded(boolean embedded) {
        top().embedded = embedded;
    }

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "Read the Redis password from the first line of FILE (again at every reconnect), instead of"
                    + " from the URI, so that it is not in the command line. Default: the environment variable "
                    + ConnectionSecurity.PASSWORD_VARIABLE + ", else the URI's password.")
    void setPasswordFile(Path file) {
        top().security.passwordFile = file;
    }

    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            description = "PEM bundle of the CA certificates that may sign the server's certificate (rediss:// only)."
                    + " Default: the environment variable " + ConnectionSecurity.TLS_CA_VARIABLE + ", else the JVM's"
                    + " trusted CAs.")
    void setTlsCa(Path file) {
        top().security.tlsCa = file;
    }

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "PEM client certificate (chain) for mutual TLS; needs --tls-key. Default: the environment"
                    + " variable " + ConnectionSecurity.TLS_CERT_VARIABLE + ", else none.")
    void setTlsCert(Path file) {
        top().security.tlsCert = file;
    }

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            description = "PEM (PKCS#8, unencrypted) private key of --tls-cert. Default: the environment variable "
                    + ConnectionSecurity.TLS_KEY_VARIABLE + ", else none.")
    void setTlsKey(Path file) {
        top().security.tlsKey = file;
    }

    @Option(
            names = "--tls-keystore",
            paramLabel = "FILE",
            description = "PKCS#12 key store with the client key and certificate, instead of --tls-cert and --tls-key;"
                    + " its password from --tls-keystore-password-file or the environment variable "
                    + ConnectionSecurity.TLS_KEYSTORE_PASSWORD_VARIABLE + ".")
    void setTlsKeyStore(Path file) {
        top().security.tlsKeyStore = file;
    }

    @Option(
            names = "--tls-keystore-password-file",
            paramLabel = "FILE",
            description = "Read the password of --tls-keystore from the first line of FILE.")
    void setTlsKeyStorePasswordFile(Path file) {
        top().security.tlsKeyStorePasswordFile = file;
    }

    @Option(
            names = "--tls-verify",
            paramLabel = "MODE",
            description = "How the server's certificate is checked: FULL (trusted CA and the host's name), CA (trusted"
                    + " CA, any name: anyone with a certificate of that CA can pose as the server) or NONE (nothing:"
                    + " for throwaway tests only). CA and NONE log a warning. Default: FULL. A URI's ?verifyPeer= may"
                    + " not ask for less than this.")
    void setTlsVerify(TlsOptions.PeerVerification mode) {
        top().security.tlsVerify = mode;
    }

    @Option(
            names = "--tls-server-name",
            paramLabel = "NAME",
            description = "Host name to send as SNI and to accept in the server's certificate instead of the URI's host"
                    + " (a tunnel, a load balancer). Default: the URI's host.")
    void setTlsServerName(String name) {
        top().security.tlsServerName = name;
    }

    /**
     * The Redis that {@code --redis} or {@code AGENTBUS_REDIS_URL} names, if any.
     *
     * @throws IllegalArgumentException if the one given is empty or blank: falling back to a throwaway
     *     embedded Redis would accept messages and lose them at exit, so that is a usage error (exit 2)
     */
    public Optional<String> redisUri() {
        if (top().embedded) {
            if (top().redisUri != null) {
                throw new IllegalArgumentException(
                        "--embedded starts a private Redis, but --redis names one to use:" + " give one of the two");
            }
            return Optional.empty();
        }
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
            ConnectionSecurity security = top().security;
            return closedOnExit(AgentBus.connect(security.withPassword(uri.get()), security.applyTo(options)));
        }
        AgentBus bus = closedOnExit(AgentBus.embedded(options));
        announce("embedded " + bus.serverSoftware() + " at " + bus.redisUri());
        return bus;
    }

    /** {@link #openExisting(BusOptions)} with {@link BusOptions#defaults()}. */
    public AgentBus openExisting() {
        return openExisting(BusOptions.defaults());
    }

    /**
     * Opens the bus that {@link #redisUri()} names, for an operator command: one that reads or manages a
     * bus that exists ({@code stats}, {@code inbox}, {@code dlq}, ...); see {@link #requireExisting()}.
     */
    public AgentBus openExisting(BusOptions options) {
        requireExisting();
        return open(options);
    }

    /**
     * Checks, before an operator command does anything, that it will look at a bus that exists: without a
     * Redis given it would answer from a private, empty one (0 dead letters, exit 0, during an incident),
     * so that needs {@code --embedded}.
     *
     * @throws CommandFailure ({@link ExitCodes#REDIS_NOT_GIVEN}) if no Redis is given and not {@code --embedded}
     */
    public void requireExisting() {
        if (redisUri().isEmpty() && !top().embedded) {
            throw new CommandFailure(
                    ExitCodes.REDIS_NOT_GIVEN,
                    command.qualifiedName().substring("agentbus ".length())
                            + " looks at an existing bus: give --redis URI or set " + REDIS_URL_VARIABLE
                            + " (--embedded for a private, empty Redis started for this command)");
        }
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
            return new Redis(uri.get(), null, top().security);
        }
        switch (topology.orElse(LocalTopology.STANDALONE)) {
            case STANDALONE -> {
                LocalRedis local = closedOnExit(LocalRedis.start());
                announce("embedded Redis " + local.version() + " at " + local.uri());
                return new Redis(local.uri(), local::close, null);
            }
            case SENTINEL -> {
                RedisSentinelGroup group = closedOnExit(RedisSentinelGroup.start());
                LocalRedis master = group.master();
                announce("local Sentinel group of Redis " + group.version() + ": master " + address(master) + ", "
                        + group.replicas().size() + " replicas "
                        + group.replicas().stream().map(BusConnection::address).collect(Collectors.joining(","))
                        + ", sentinels " + group.uri());
                return new Redis(group.uri(), group::close, null);
            }
            case CLUSTER -> {
                RedisClusterNodes cluster = closedOnExit(RedisClusterNodes.start());
                announce("local cluster of Redis " + cluster.version() + ": masters "
                        + cluster.masters().stream().map(BusConnection::address).collect(Collectors.joining(","))
                        + ", one replica each, at " + cluster.uri());
                return new Redis(cluster.uri(), cluster::close, null);
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
        private final ConnectionSecurity security;

        private Redis(String uri, Runnable stop, ConnectionSecurity security) {
            this.uri = uri;
            this.stop = stop;
            this.security = security;
        }

        public String uri() {
            return uri;
        }

        /** A bus on this Redis, closed by SIGTERM and Ctrl-C too; the caller closes it before this. */
        public AgentBus connect(BusOptions options) {
            if (security == null) {
                return closedOnExit(AgentBus.connect(uri, options));
            }
            return closedOnExit(AgentBus.connect(security.withPassword(uri), security.applyTo(options)));
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
