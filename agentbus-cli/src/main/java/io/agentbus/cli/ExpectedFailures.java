package io.agentbus.cli;

import io.agentbus.AgentBusException;
import io.agentbus.InvalidEnvelopeException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns the failures a user can cause or meet into one line on stderr, {@code agentbus: <message>},
 * and an exit code: {@value #INVALID_INPUT} for input the bus rejects (the same code picocli gives a
 * usage error), {@value #FAILED} for a bus that failed (Redis unreachable, a timeout). Anything else
 * is a bug and keeps its stack trace.
 */
final class ExpectedFailures implements CommandLine.IExecutionExceptionHandler {

    static final int FAILED = 1;
    static final int INVALID_INPUT = CommandLine.ExitCode.USAGE;

    /** Lines of {@code exitCodeList} in the help of every subcommand. */
    static final String FAILED_HELP = FAILED + ":Redis unreachable, or the bus failed.";

    static final String INVALID_INPUT_HELP =
            INVALID_INPUT + ":Invalid input: bad option, agent id, payload, priority or URI.";

    @Override
    public int handleExecutionException(Exception failure, CommandLine command, ParseResult parseResult)
            throws Exception {
        int exitCode;
        if (failure instanceof InvalidEnvelopeException || failure instanceof IllegalArgumentException) {
            exitCode = INVALID_INPUT;
        } else if (failure instanceof AgentBusException) {
            exitCode = FAILED;
        } else {
            throw failure;
        }
        command.getErr().println("agentbus: " + failure.getMessage());
        command.getErr().flush();
        return exitCode;
    }
}
