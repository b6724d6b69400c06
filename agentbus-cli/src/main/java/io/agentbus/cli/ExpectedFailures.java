package io.agentbus.cli;

import io.agentbus.AgentBusException;
import io.agentbus.InvalidEnvelopeException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns the failures a user can cause or meet into one line on stderr, {@code agentbus: <message>},
 * and an exit code: {@link ExitCodes#INVALID_INPUT} for input the bus rejects (the same code picocli
 * gives a usage error), {@link ExitCodes#FAILED} for a bus that failed (Redis unreachable, a timeout).
 * Anything else is a bug and keeps its stack trace.
 */
final class ExpectedFailures implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception failure, CommandLine command, ParseResult parseResult)
            throws Exception {
        int exitCode;
        if (failure instanceof InvalidEnvelopeException || failure instanceof IllegalArgumentException) {
            exitCode = ExitCodes.INVALID_INPUT;
        } else if (failure instanceof AgentBusException) {
            exitCode = ExitCodes.FAILED;
        } else {
            throw failure;
        }
        command.getErr().println("agentbus: " + failure.getMessage());
        command.getErr().flush();
        return exitCode;
    }
}
