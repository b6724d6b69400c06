package io.agentbus.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * The kind of local Redis deployment a command starts when it is given no Redis ({@code --topology}):
 * one {@code redis-server}, a Sentinel group, or a cluster, every process on a free loopback port and
 * stopped when the command ends ({@link BusConnection#redis}).
 */
public enum LocalTopology {
    /** One {@code redis-server}, as {@code AgentBus.embedded()} starts it. */
    STANDALONE,
    /** One master, two replicas and three sentinels ({@code io.agentbus.embedded.RedisSentinelGroup}). */
    SENTINEL,
    /** Three masters and three replicas ({@code io.agentbus.embedded.RedisClusterNodes}). */
    CLUSTER;

    /** The values as typed on the command line: {@code standalone, sentinel, cluster}. */
    public static final String VALUES =
            Arrays.stream(values()).map(LocalTopology::toString).collect(Collectors.joining(", "));

    /** The name as typed on the command line, in lower case. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads {@code standalone}, {@code sentinel} or {@code cluster}, in any case. */
    public static final class Converter implements CommandLine.ITypeConverter<LocalTopology> {
        @Override
        public LocalTopology convert(String text) {
            for (LocalTopology topology : values()) {
                if (topology.name().equalsIgnoreCase(text.strip())) {
                    return topology;
                }
            }
            throw new CommandLine.TypeConversionException("'" + text + "' is not a topology: use one of " + VALUES);
        }
    }
}
