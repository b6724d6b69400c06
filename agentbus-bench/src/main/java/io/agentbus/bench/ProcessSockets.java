package io.agentbus.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The local TCP ports of this JVM's sockets, for telling this process's Redis connections from other
 * clients' in CLIENT LIST (whose {@code addr} is the client's address): on Linux, the socket inodes
 * that {@code /proc/self/fd} links to, looked up in {@code /proc/self/net/tcp} and {@code tcp6}. A
 * connection over loopback has the same port on both ends' view; through NAT it would not match.
 */
final class ProcessSockets {

    private static final Path FDS = Path.of("/proc/self/fd");
    private static final List<Path> TABLES = List.of(Path.of("/proc/self/net/tcp"), Path.of("/proc/self/net/tcp6"));

    private ProcessSockets() {}

    /** The local ports of this JVM's TCP sockets; empty where {@code /proc} cannot tell (not Linux). */
    static Set<Integer> localPorts() {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FDS)) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed since the listing: not a connection any more
                }
            }
            Set<Integer> ports = new HashSet<>();
            for (Path table : TABLES) {
                if (!Files.isReadable(table)) {
                    continue;
                }
                // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
                List<String> lines = Files.readAllLines(table);
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    String[] columns = line.trim().split("\\s+");
                    if (columns.length > 9 && inodes.contains(columns[9])) {
                        String local = columns[1];
                        ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
                    }
                }
            }
            return ports;
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    /** The {@code name=value} fields of one CLIENT LIST line; empty for a blank line. */
    static Map<String, String> fields(String clientListLine) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : clientListLine.trim().split(" ")) {
            int equals = field.indexOf('=');
            if (equals > 0) {
                fields.put(field.substring(0, equals), field.substring(equals + 1));
            }
        }
        return fields;
    }

    /** The port of a CLIENT LIST {@code addr} ({@code 127.0.0.1:50123}, {@code [::1]:50123}); -1 if none. */
    static int port(String addr) {
        try {
            return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return -1;
        }
    }
}
