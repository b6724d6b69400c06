package io.agentbus.cli;

import io.agentbus.AgentBusException;
import io.agentbus.BusAuthException;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.connect.AuthRequiredException;
import io.agentbus.connect.BusTlsException;
import io.agentbus.connect.CertificateNotTrustedException;
import io.agentbus.connect.ClientCertificateRequiredException;
import io.agentbus.connect.ConnectTimeoutException;
import io.agentbus.connect.ConnectionRefusedException;
import io.agentbus.connect.HostNotFoundException;
import io.agentbus.connect.HostnameMismatchException;
import io.agentbus.connect.PlaintextToTlsPortException;
import io.agentbus.connect.TlsToPlaintextPortException;
import io.agentbus.connect.UserRejectedException;
import io.agentbus.connect.WrongPasswordException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns the failures a user can cause or meet into one line on stderr, {@code agentbus: <message>},
 * and an exit code: {@link ExitCodes#INVALID_INPUT} for input the bus rejects (the same code picocli
 * gives a usage error), a code of its own for each cause of a failed connect (credentials, TLS, refused,
 * timeout, DNS), {@link ExitCodes#FAILED} for a bus that failed otherwise, and its own code for a
 * {@link CommandFailure}. Anything else is a bug and keeps
 * its stack trace.
 */
final class ExpectedFailures implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception failure, CommandLine command, ParseResult parseResult)
            throws Exception {
        int exitCode;
        if (failure instanceof CommandFailure commandFailure) {
            exitCode = commandFailure.exitCode();
        } else if (failure instanceof InvalidEnvelopeException || failure instanceof IllegalArgumentException) {
            exitCode = ExitCodes.INVALID_INPUT;
        } else if (failure instanceof AgentBusException known) {
            exitCode = exitCode(known);
        } else {
            throw failure;
        }
        command.getErr().println("agentbus: " + failure.getMessage());
        command.getErr().flush();
        return exitCode;
    }

    /** The exit code of a failure of the bus: the cause of a failed connect, else {@link ExitCodes#FAILED}. */
    static int exitCode(AgentBusException failure) {
        if (failure instanceof WrongPasswordException) {
            return ExitCodes.WRONG_PASSWORD;
        } else if (failure instanceof UserRejectedException) {
            return ExitCodes.USER_REJECTED;
        } else if (failure instanceof AuthRequiredException) {
            return ExitCodes.PASSWORD_REQUIRED;
        } else if (failure instanceof BusAuthException) {
            return ExitCodes.PERMISSION_DENIED;
        } else if (failure instanceof CertificateNotTrustedException) {
            return ExitCodes.TLS_UNTRUSTED;
        } else if (failure instanceof HostnameMismatchException) {
            return ExitCodes.TLS_HOSTNAME_MISMATCH;
        } else if (failure instanceof ClientCertificateRequiredException) {
            return ExitCodes.TLS_CLIENT_CERT_REQUIRED;
        } else if (failure instanceof PlaintextToTlsPortException) {
            return ExitCodes.PLAINTEXT_TO_TLS_PORT;
        } else if (failure instanceof TlsToPlaintextPortException) {
            return ExitCodes.TLS_TO_PLAINTEXT_PORT;
        } else if (failure instanceof BusTlsException) {
            return ExitCodes.TLS_FAILED;
        } else if (failure instanceof ConnectionRefusedException) {
            return ExitCodes.CONNECTION_REFUSED;
        } else if (failure instanceof ConnectTimeoutException) {
            return ExitCodes.CONNECT_TIMEOUT;
        } else if (failure instanceof HostNotFoundException) {
            return ExitCodes.HOST_NOT_FOUND;
        }
        return ExitCodes.FAILED;
    }
}
