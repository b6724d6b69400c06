package io.agentbus.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;

/**
 * One in-process run of the {@code agentbus} command, configured as {@code main} runs it, with what
 * it printed on stdout and stderr.
 */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun execute(String... args) {
        return execute(new StringWriter(), new StringWriter(), args);
    }

    /** Starts a run on another thread, for commands that wait for something the test does next. */
    public static Background inBackground(String... args) {
        StringWriter err = new StringWriter();
        return new Background(CompletableFuture.supplyAsync(() -> execute(new StringWriter(), err, args)), err);
    }

    private static CliRun execute(StringWriter out, StringWriter err, String... args) {
        int exitCode = AgentBusCommand.newCommandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    /**
     * A run in the background: its outcome, and its stderr so far, to wait for what it announces.
     * StringWriter appends to a StringBuffer, so reading it while the command prints is safe.
     */
    public record Background(CompletableFuture<CliRun> run, StringWriter err) {

        public String errSoFar() {
            return err.toString();
        }
    }
}
