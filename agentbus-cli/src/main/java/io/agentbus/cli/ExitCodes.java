package io.agentbus.cli;

import picocli.CommandLine;

/**
 * Every exit code of the {@code agentbus} command, one name per code. A command's help lists the
 * codes it uses, each with what it means there; {@code *_HELP} are the lines shared by many commands.
 */
public final class ExitCodes {

    /** The command did what it was asked. */
    public static final int OK = 0;

    /**
     * The bus failed, or Redis became unreachable after the connect; for {@code demo} and {@code demo swarm},
     * also a failed check. A failed connect exits with the code of its cause, {@code 10} to {@code 22} below.
     */
    public static final int FAILED = 1;

    /**
     * The input was invalid: a bad option, agent id, payload, priority or URI, or a state the request does
     * not fit (a swarm that is not interrupted). The same code picocli gives a usage error.
     */
    public static final int INVALID_INPUT = CommandLine.ExitCode.USAGE;

    /**
     * The command ran but could not get what it was for: {@code receive} saw no message and {@code watch}
     * fewer than {@code --count} before the timeout, {@code request} got no reply within {@code --timeout},
     * {@code server} could not listen on {@code --bind:--port}.
     */
    public static final int INCOMPLETE = 3;

    /**
     * What the command names does not exist: an agent (the read-only {@code inbox}, {@code inbox peek},
     * {@code dlq list}: never sent to or subscribed, with nothing in Redis), a dead letter ({@code dlq show},
     * {@code dlq redrive}), a swarm ({@code swarm show}), or for {@code request} any instance of the agent
     * that could respond.
     */
    public static final int NOT_FOUND = 4;

    /**
     * An operator command (one that reads or manages an existing bus: {@code stats}, {@code inbox},
     * {@code dlq}, {@code audit}, {@code agents}, {@code swarm}, {@code server}) was given no Redis: neither
     * {@code --redis} nor {@code AGENTBUS_REDIS_URL}. It refuses to answer from a private, empty Redis
     * unless {@code --embedded} asks for one.
     */
    public static final int REDIS_NOT_GIVEN = 5;

    /** Redis refused the password of the default user ({@code WRONGPASS}). */
    public static final int WRONG_PASSWORD = 10;

    /** Redis refused the user the URI names: unknown, disabled, or a wrong password ({@code WRONGPASS}). */
    public static final int USER_REJECTED = 11;

    /** Redis requires a password and none was given ({@code NOAUTH}). */
    public static final int PASSWORD_REQUIRED = 12;

    /** Redis refused a command the bus connects with ({@code NOPERM}). */
    public static final int PERMISSION_DENIED = 13;

    /** TLS: the server's certificate is not signed by a trusted CA ({@code --tls-ca}). */
    public static final int TLS_UNTRUSTED = 14;

    /** TLS: the server's certificate does not name the host ({@code --tls-server-name}). */
    public static final int TLS_HOSTNAME_MISMATCH = 15;

    /** TLS: the server requires a client certificate it trusts ({@code --tls-cert}, {@code --tls-key}). */
    public static final int TLS_CLIENT_CERT_REQUIRED = 16;

    /** A {@code redis://} (plaintext) URI names a port that speaks TLS: use {@code rediss://}. */
    public static final int PLAINTEXT_TO_TLS_PORT = 17;

    /** A {@code rediss://} (TLS) URI names a port that speaks plaintext. */
    public static final int TLS_TO_PLAINTEXT_PORT = 18;

    /** TLS: the handshake failed for another reason (protocols, ciphers, an unreadable key). */
    public static final int TLS_FAILED = 19;

    /** Connection refused: nothing listens at the URI's host and port. */
    public static final int CONNECTION_REFUSED = 20;

    /** No answer within the connect timeout. */
    public static final int CONNECT_TIMEOUT = 21;

    /** The URI's host name does not resolve (DNS). */
    public static final int HOST_NOT_FOUND = 22;

    /** {@code server} stopped by Ctrl-C (SIGINT) after a clean shutdown; the JVM sets it (128 + signal 2). */
    public static final int INTERRUPTED = 130;

    /** {@code server} stopped by SIGTERM after a clean shutdown; the JVM sets it (128 + signal 15). */
    public static final int TERMINATED = 143;

    /** The {@link #FAILED} line of {@code exitCodeList} in the help of every command that uses a bus. */
    public static final String FAILED_HELP =
            FAILED + ":Redis unreachable, or the bus failed. A failed connect exits 10-22: see agentbus --help.";

    /** The {@link #INVALID_INPUT} line of {@code exitCodeList} in the help of most commands. */
    public static final String INVALID_INPUT_HELP =
            INVALID_INPUT + ":Invalid input: bad option, agent id, payload, priority or URI.";

    /** The {@link #REDIS_NOT_GIVEN} line of {@code exitCodeList} in the help of every operator command. */
    public static final String REDIS_NOT_GIVEN_HELP =
            REDIS_NOT_GIVEN + ":No Redis given: --redis or AGENTBUS_REDIS_URL (--embedded: a private, empty one).";

    /** The {@link #NOT_FOUND} line of {@code exitCodeList} in the help of the read-only commands that name an agent. */
    public static final String UNKNOWN_AGENT_HELP =
            NOT_FOUND + ":No such agent: never sent to or subscribed, and nothing of it in Redis.";

    private ExitCodes() {}
}
