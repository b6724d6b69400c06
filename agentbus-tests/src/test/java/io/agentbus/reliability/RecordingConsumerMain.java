package io.agentbus.reliability;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.MessageHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One instance of an agent in a JVM of its own, so that a test can kill it for real (SIGKILL: no
 * shutdown hook, no ack, connections dropped by the kernel). Each delivery is recorded in Redis
 * before the handler returns, as {@code RPUSH <key> "<message_id> <attempt> <consumer> <epoch_ms>"},
 * so the record survives the process.
 *
 * <p>Arguments: redis URI, agent id (or several, comma-separated: one subscription each, all on one
 * bus, as a department's process), record key, visibility timeout (ms), prefetch, read batch size,
 * work per message (ms), and optionally the URI of the Redis the records go to (default: the bus's; a
 * failover test keeps them apart, so that a record is not lost with the master it was written to). Prints {@code READY <consumer>} once subscribed (the consumers of every
 * subscription, comma-separated). Exits when its standard input closes, so that an instance never
 * outlives the test JVM that started it.
 */
public final class RecordingConsumerMain {

    private RecordingConsumerMain() {}

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        List<AgentId> agents =
                Arrays.stream(args[1].split(",")).map(AgentId::of).toList();
        String recordKey = args[2];
        Duration visibility = Duration.ofMillis(Long.parseLong(args[3]));
        int prefetch = Integer.parseInt(args[4]);
        int readBatchSize = Integer.parseInt(args[5]);
        long workMillis = Long.parseLong(args[6]);

        RedisClient client = RedisClient.create(args.length > 7 ? args[7] : uri);
        StatefulRedisConnection<String, String> recorder = client.connect();
        BusOptions options = BusOptions.builder()
                .consumer(ConsumerOptions.builder()
                        .prefetch(prefetch)
                        .readBatchSize(readBatchSize)
                        .build())
                .delivery(
                        DeliveryOptions.builder().visibilityTimeout(visibility).build())
                .build();
        AgentBus bus = AgentBus.connect(uri, options);
        MessageHandler recording = delivery -> {
            recorder.sync()
                    .rpush(
                            recordKey,
                            delivery.envelope().messageId().value() + " " + delivery.attempt() + " "
                                    + delivery.consumer() + " " + System.currentTimeMillis());
            if (workMillis > 0) {
                Thread.sleep(workMillis); // the handler's work
            }
        };
        List<String> consumers = new ArrayList<>();
        for (AgentId agent : agents) {
            try {
                consumers.add(bus.subscribe(agent, recording).consumer());
            } catch (AgentBusException e) {
                // One agent's broken keys (an inbox that is not a stream) refuse its subscription alone:
                // as a supervised service would, the others start and this one is tried again.
                System.err.println("cannot subscribe " + agent + " yet, retrying: " + e.getMessage());
                Thread retry = new Thread(() -> subscribeWhenPossible(bus, agent, recording), "subscribe-" + agent);
                retry.setDaemon(true);
                retry.start();
            }
        }
        System.out.println("READY " + String.join(",", consumers));
        System.out.flush();

        while (System.in.read() != -1) {
            // nothing to read: stdin only tells us when the parent is gone
        }
        Runtime.getRuntime().halt(3);
    }

    private static void subscribeWhenPossible(AgentBus bus, AgentId agent, MessageHandler handler) {
        while (true) {
            try {
                Thread.sleep(500);
                bus.subscribe(agent, handler);
                System.err.println("subscribed " + agent);
                return;
            } catch (AgentBusException e) {
                // still broken: next round
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One record written by this consumer, read back by a test. */
    record Recorded(String messageId, int attempt, String consumer, long atMillis) {

        static Recorded parse(String record) {
            String[] parts = record.split(" ");
            return new Recorded(parts[0], Integer.parseInt(parts[1]), parts[2], Long.parseLong(parts[3]));
        }
    }
}
