package io.agentbus.bench;

import io.agentbus.ConsumerOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The read loop of the Lettuce rigs: on a connection and a thread of its own, XREADGROUP GROUP {@code group}
 * raw-1 COUNT (agentbus's default read batch size, 100) BLOCK 100 over all its streams, each entry handled
 * inline, then one acknowledgement per stream of the batch: agentbus's ack.lua for {@code lettuce-raw}
 * ({@link LettuceRawScripts#ack}), a plain multi-id XACK for {@code lettuce-plain}.
 */
final class LettuceStreamReader implements AutoCloseable {

    private static final String CONSUMER = "raw-1";

    /** Acknowledges the entries of one stream that a batch read and handled; asynchronously, never waited for. */
    @FunctionalInterface
    interface Ack {
        void ack(String stream, String group, String consumer, List<StreamMessage<String, String>> entries);
    }

    private final StatefulRedisConnection<String, String> reads;
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts reading {@code streams}, whose group {@code group} exists, handing each entry to {@code handler}. */
    LettuceStreamReader(
            RedisClient client,
            Ack ack,
            String group,
            List<String> streams,
            java.util.function.Consumer<StreamMessage<String, String>> handler) {
        this.reads = client.connect();
        @SuppressWarnings("unchecked")
        XReadArgs.StreamOffset<String>[] offsets =
                streams.stream().map(XReadArgs.StreamOffset::lastConsumed).toArray(XReadArgs.StreamOffset[]::new);
        this.thread = new Thread(() -> read(ack, group, offsets, handler), "lettuce-reader-" + group);
        thread.start();
    }

    private void read(
            Ack ack,
            String group,
            XReadArgs.StreamOffset<String>[] offsets,
            java.util.function.Consumer<StreamMessage<String, String>> handler) {
        Consumer<String> consumer = Consumer.from(group, CONSUMER);
        XReadArgs args =
                XReadArgs.Builder.count(ConsumerOptions.DEFAULT_READ_BATCH_SIZE).block(100);
        while (running) {
            List<StreamMessage<String, String>> batch;
            try {
                batch = reads.sync().xreadgroup(consumer, args, offsets);
            } catch (RedisException e) {
                if (running) {
                    throw e;
                }
                return;
            }
            Map<String, List<StreamMessage<String, String>>> done = new LinkedHashMap<>();
            for (StreamMessage<String, String> entry : batch) {
                handler.accept(entry);
                done.computeIfAbsent(entry.getStream(), stream -> new ArrayList<>())
                        .add(entry);
            }
            done.forEach((stream, entries) -> ack.ack(stream, group, CONSUMER, entries));
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
        reads.close();
    }
}
