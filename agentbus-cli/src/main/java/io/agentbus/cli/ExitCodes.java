package io.agentbus.cli;

import picocli.CommandLine;

/**
 * Every exit code of the {@code agentbus} command, one name per code. A command's help lists the
 * codes it uses, each with what it means there; {@code *_HELP} are the lines shared by many commands.
 */
public final class ExitCodes {

    /** The command did what it was asked. */
    public static final int OK = 0;

    /** Redis was unreachable or the bus failed; for {@code demo} and {@code demo swarm}, also a failed check. */
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
     * What the command names does not exist: a dead letter ({@code dlq show}, {@code dlq redrive}), a swarm
     * ({@code swarm show}), or for {@code request} any instance of the agent that could respond.
     */
    public static final int NOT_FOUND = 4;

    /** {@code server} stopped by Ctrl-C (SIGINT) after a clean shutdown; the JVM sets it (128 + signal 2). */
    public static final int INTERRUPTED = 130;

    /** {@code server} stopped by SIGTERM after a clean shutdown; the JVM sets it (128 + signal 15). */
    public static final int TERMINATED = 143;

    /** The {@link #FAILED} line of {@code exitCodeList} in the help of every command that uses a bus. */
    public static final String FAILED_HELP = FAILED + ":Redis unreachable, or the bus failed.";

    /** The {@link #INVALID_INPUT} line of {@code exitCodeList} in the help of most commands. */
    public static final String INVALID_INPUT_HELP =
            INVALID_INPUT + ":Invalid input: bad option, agent id, payload, priority or URI.";

    private ExitCodes() {}
}
