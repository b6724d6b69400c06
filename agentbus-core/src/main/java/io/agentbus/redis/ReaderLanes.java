package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.MessageHandler;
import io.agentbus.protocol.KeySchema;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader lanes of one bus and the running instances they serve.
 *
 * <p>A lane ({@link LaneReader}) is one blocking-read connection reading, as one consumer, the
 * streams of one consumer group: the first instance of each agent in this process is in lane 0 of
 * the inbox group, a second instance of the same agent in lane 1, and so on, because one XREADGROUP
 * call names one consumer. So the connection count grows with the most instances of one agent in
 * the process (usually 1), never with the number of agents. Each durable-topic subscriber group and
 * the swarm messenger have lanes of their own group.
 */
final class ReaderLanes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReaderLanes.class);

    private final Connections connections;
    private final ConsumerContext context;
    private final String consumerPrefix;
    /** Lanes by consumer group: one XREADGROUP call names one group and one consumer. */
    private final Map<String, List<LaneReader>> lanesByGroup = new HashMap<>();

    private final List<ConsumerInstance> instances = new ArrayList<>();
    private boolean closed;

    ReaderLanes(Connections connections, ConsumerContext context) {
        this.connections = connections;
        this.context = context;
        this.consumerPrefix = hostName() + "-" + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    }

    /** The prefix of this process's consumer names: host, pid and a random part. */
    String consumerPrefix() {
        return consumerPrefix;
    }

    /**
     * Starts one instance reading {@code streams} (all read by {@code group}; there may be none yet, see
     * {@link ConsumerInstance#addStream}) in the first lane of that group that does not read them yet.
     */
    ConsumerInstance start(
            AgentId subscriber,
            String group,
            List<ConsumedStream> streams,
            DeliveryOptions delivery,
            MessageHandler handler) {
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(handler, "handler");
        // Before any group is created or entry read: the start-up check found what the ACL refuses.
        connections.permissions().requireConsuming("subscribe " + subscriber);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("bus is closed");
            }
            List<LaneReader> lanes = lanesByGroup.computeIfAbsent(group, g -> new ArrayList<>());
            int lane = 0;
            while (lane < lanes.size() && streams.stream().anyMatch(lanes.get(lane)::serves)) {
                lane++;
            }
            if (lane == lanes.size()) {
                String name = (KeySchema.INBOX_GROUP.equals(group) ? "" : group + "-") + lane;
                LaneReader reader = new LaneReader(
                        name,
                        group,
                        consumerPrefix + "-" + name,
                        connections.connect(LaneReader.CODEC, "agentbus-reader-" + name),
                        connections.commands(),
                        context.scripts(),
                        context.metrics(),
                        context.options());
                connections.watch().watchReader(reader);
                lanes.add(reader);
            }
            LaneReader reader = lanes.get(lane);
            ConsumerInstance instance =
                    new ConsumerInstance(context, subscriber, streams, delivery, handler, reader, this::stopped);
            instance.start();
            instances.add(instance);
            log.debug("subscribed {} to {} as consumer {}", subscriber, streams, reader.consumer());
            return instance;
        }
    }

    /** Whether this bus runs an instance of {@code agent}'s inbox: replies to its requests come there. */
    synchronized boolean runsInboxOf(AgentId agent) {
        return instances.stream().anyMatch(instance -> instance.isInboxOf(agent));
    }

    private synchronized void stopped(ConsumerInstance instance) {
        instances.remove(instance);
    }

    /**
     * Stops every lane reading, lets every instance finish its running handler and settle (in
     * parallel, so the whole close is bounded by one shutdown timeout), then closes the lanes.
     */
    @Override
    public void close() {
        List<ConsumerInstance> open;
        List<LaneReader> lanes = new ArrayList<>();
        synchronized (this) {
            closed = true;
            open = new ArrayList<>(instances);
            lanesByGroup.values().forEach(lanes::addAll);
        }
        lanes.forEach(LaneReader::stopReading);
        open.forEach(ConsumerInstance::beginClose);
        open.forEach(ConsumerInstance::awaitClosed);
        lanes.forEach(LaneReader::close);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "_");
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
