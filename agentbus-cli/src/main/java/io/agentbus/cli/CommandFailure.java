package io.agentbus.cli;

/**
 * A failure a command reports as one line on stderr, {@code agentbus: <message>}, with an exit code of
 * its own ({@link ExitCodes}) rather than the one {@link ExpectedFailures} gives its kind: no Redis given,
 * an unknown agent.
 */
public final class CommandFailure extends RuntimeException {

    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /** The exit code of the command, one of {@link ExitCodes}. */
    public int exitCode() {
        return exitCode;
    }
}
