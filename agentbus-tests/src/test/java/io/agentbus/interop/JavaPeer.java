package io.agentbus.interop;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Java as a peer: each command runs {@link JavaDriver} on a thread of the test's JVM, on the library's
 * public API; a {@code receive --hold}, whose instance the scenario kills with SIGKILL, runs it in a
 * JVM of its own instead.
 */
final class JavaPeer implements LanguagePeer {

    private final String redisUri;
    private final ProcessPeer childJvm;

    JavaPeer(String redisUri) {
        this.redisUri = redisUri;
        this.childJvm = new ProcessPeer(
                "java",
                List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        // A small, quickly started JVM, as the reliability tests' consumer processes.
                        "-Xmx128m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        JavaDriver.class.getName()),
                Map.of(),
                redisUri);
    }

    @Override
    public String language() {
        return "java";
    }

    @Override
    public DriverRun start(String... args) throws Exception {
        if (List.of(args).contains("--hold")) {
            return childJvm.start(args);
        }
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--redis", redisUri));
        Thread[] thread = new Thread[1];
        DriverRun run = new DriverRun("(in-process) " + String.join(" ", command), () -> thread[0].interrupt());
        thread[0] = new Thread(
                () -> run.onExit(JavaDriver.run(command, run::onStdout, run::onStderr)), "java-driver-" + args[0]);
        thread[0].setDaemon(true);
        thread[0].start();
        return run;
    }
}
