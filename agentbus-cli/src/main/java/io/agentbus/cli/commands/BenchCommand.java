package io.agentbus.cli.commands;

import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code agentbus bench} as this jar knows it: a line in the command list and a pointer. The bench runs from
 * its own jar ({@code io.agentbus.bench.BenchCommand} in agentbus-bench), which {@code ./agentbus} runs for
 * {@code ./agentbus bench}, so that the bench's peers (Redisson, Spring Data Redis, Jedis) stay out of this one.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            // The first line of the bench's own description, which the command list shows.
            "Measure agentbus side by side with the plain stream design on Lettuce, raw Lettuce, Redisson, Spring"
                    + " Data Redis, Jedis, the seed's LPUSH/BRPOP design and redis-benchmark, each system in a JVM"
                    + " of its own and each"
                    + " measurement on a fresh private redis-server (same binary, no persistence, loopback)."
                    + " --redis is ignored: the bench starts its own servers.",
            "It runs from a jar of its own: " + BenchCommand.HOW_TO_RUN + "; ./agentbus bench --help shows its"
                    + " options."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {ExitCodes.INVALID_INPUT + ":Always, from this jar: run the bench as said above."})
public final class BenchCommand implements Callable<Integer> {

    static final String HOW_TO_RUN =
            "./agentbus bench [ARG...], or java -jar agentbus-bench/target/agentbus-bench-all.jar [ARG...]";

    @Mixin
    private BusConnection connection; // accepted as by every command; the bench ignores it

    @Spec
    private CommandSpec spec;

    /** Whatever the bench takes: this command runs none of it. */
    @Unmatched
    private List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("agentbus: bench runs from a jar of its own: " + HOW_TO_RUN);
        spec.commandLine().getErr().flush();
        return ExitCodes.INVALID_INPUT;
    }
}
