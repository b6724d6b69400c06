package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** What results.json says about where and with what a run happened: machine, versions, commit. */
final class Environment {

    private Environment() {}

    static Map<String, Object> machine() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpu", cpuModel());
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            machine.put("memory_gib", Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024)));
        }
        machine.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        machine.put("load_average_at_start", loadAverage());
        return machine;
    }

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg says; other builds show here. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return String.valueOf(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    static Map<String, Object> versions() {
        Map<String, Object> versions = new LinkedHashMap<>();
        versions.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        try (LocalRedis redis = LocalRedis.start()) {
            versions.put("redis", redis.version().toString());
            versions.put("redis_binary", redis.executable().toString());
        } catch (RuntimeException e) {
            versions.put("redis", "unavailable: " + e.getMessage());
        }
        Path benchmark = RedisBenchmark.binary();
        versions.put(
                "redis_benchmark", benchmark == null ? "absent" : firstLine(run(benchmark.toString(), "--version")));
        Properties libraries = new Properties();
        try (InputStream in = Environment.class.getResourceAsStream("versions.properties")) {
            libraries.load(in);
        } catch (IOException | NullPointerException e) {
            libraries.setProperty("libraries", "unknown: " + e);
        }
        new TreeMap<>(libraries).forEach((name, version) -> versions.put((String) name, version));
        return versions;
    }

    /** HEAD of the git work tree the bench runs in, with "-dirty" if tracked files changed; "unknown" outside git. */
    static String commit() {
        String head = run("git", "rev-parse", "HEAD").trim();
        if (head.isEmpty() || head.startsWith("fatal") || head.startsWith("error")) {
            return "unknown";
        }
        String changes =
                run("git", "status", "--porcelain", "--untracked-files=no").trim();
        return changes.isEmpty() ? head : head + "-dirty";
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse("").trim();
    }

    private static String run(String... command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(10, TimeUnit.SECONDS);
            return process.exitValue() == 0 ? output : "";
        } catch (IOException | InterruptedException | IllegalThreadStateException e) {
            return "";
        }
    }
}
