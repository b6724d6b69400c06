package io.agentbus.interop;

import java.time.Duration;

/**
 * One language's implementation of the interop driver (interop-spec.md): Java in the test's JVM, or
 * the Python or Node client's command-line driver. A scenario gives it the driver's commands and
 * arguments, the same for every language; the peer adds {@code --redis} itself.
 */
interface LanguagePeer {

    /** {@code java}, {@code python} or {@code node}. */
    String language();

    /** Starts one driver command, e.g. {@code start("receive", "worker-1a2b", "--count", "3")}. */
    DriverRun start(String... args) throws Exception;

    /** Runs a command that ends by itself and waits for it; the caller reads its exit code and stdout. */
    default DriverRun run(Duration timeout, String... args) throws Exception {
        DriverRun run = start(args);
        run.awaitExit(timeout);
        return run;
    }
}
