package io.agentbus.cli.demo;

import io.agentbus.cli.LocalTopology;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --topology} of the demos: which local deployment to start when no Redis is given. */
final class TopologyOption {

    @Option(
            names = "--topology",
            paramLabel = "KIND",
            converter = LocalTopology.Converter.class,
            description = {
                "The Redis to start for the demo when neither --redis nor AGENTBUS_REDIS_URL names one:"
                        + " standalone (one redis-server), sentinel (a master, 2 replicas and 3 sentinels; the"
                        + " demo connects with a redis-sentinel:// URI) or cluster (3 masters with a replica each;"
                        + " a redis-cluster:// URI). Every process runs on a free loopback port and is stopped when"
                        + " the demo ends."
                        + " Default: standalone.",
                "Refused (exit 2) together with a given Redis: the demo then runs on that Redis, whatever its"
                        + " topology, e.g. --redis redis-sentinel://h1:26379,h2:26379,h3:26379#mymaster."
            })
    private LocalTopology topology;

    /** The topology asked for; empty when {@code --topology} was not given. */
    Optional<LocalTopology> selected() {
        return Optional.ofNullable(topology);
    }
}
