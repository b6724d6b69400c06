package io.agentbus.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A language whose driver is a program: {@code python3 -m agentbus}, {@code node bin/agentbus.js}, or a
 * child JVM running {@link JavaDriver} (the only way to SIGKILL a Java instance). Each command is a
 * process of its own; {@link DriverRun#close()} kills it with SIGKILL, so none outlives its scenario.
 */
final class ProcessPeer implements LanguagePeer {

    private final String language;
    private final List<String> program;
    private final Map<String, String> environment;
    private final String redisUri;

    /**
     * @param program     the driver's command line before the driver's arguments
     * @param environment added to the test JVM's environment
     * @param redisUri    given as {@code --redis}; null for the commands that need no Redis ({@code vectors})
     */
    ProcessPeer(String language, List<String> program, Map<String, String> environment, String redisUri) {
        this.language = language;
        this.program = List.copyOf(program);
        this.environment = Map.copyOf(environment);
        this.redisUri = redisUri;
    }

    @Override
    public String language() {
        return language;
    }

    @Override
    public DriverRun start(String... args) throws IOException {
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of(args));
        if (redisUri != null) {
            command.addAll(List.of("--redis", redisUri));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        // The driver never reads stdin; closed at once, it cannot wait for input by mistake.
        process.getOutputStream().close();
        DriverRun run = new DriverRun(describe(command), process::destroyForcibly);
        Thread stdout = pump(process.getInputStream(), run::onStdout, language + "-stdout-" + process.pid());
        Thread stderr = pump(process.getErrorStream(), run::onStderr, language + "-stderr-" + process.pid());
        Thread waiter = new Thread(
                () -> {
                    try {
                        int code = process.waitFor();
                        stdout.join();
                        stderr.join();
                        run.onExit(code);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                language + "-exit-" + process.pid());
        waiter.setDaemon(true);
        waiter.start();
        return run;
    }

    private String describe(List<String> command) {
        StringBuilder text = new StringBuilder();
        environment.forEach(
                (name, value) -> text.append(name).append('=').append(value).append(' '));
        for (String word : command) {
            text.append(word.matches("[A-Za-z0-9_./:=@-]+") ? word : "'" + word.replace("'", "'\\''") + "'")
                    .append(' ');
        }
        return text.toString().strip();
    }

    private static Thread pump(InputStream stream, Consumer<String> sink, String name) {
        Thread thread = new Thread(
                () -> {
                    try (BufferedReader reader =
                            new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                            sink.accept(line);
                        }
                    } catch (IOException e) {
                        // the process was killed: its pipes close
                    }
                },
                name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
