package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The plain durable design on the client agentbus uses, and the ceiling every ratio of the bench is taken
 * against: Redis streams with a consumer group and acknowledgements, no scripts. The producer sends each
 * message's protocol fields with an asynchronous {@code XADD} on a command connection (≤ 1,000 in flight, as
 * every rig); one reader thread on a connection of its own does {@code XREADGROUP COUNT 100 BLOCK 100} over
 * every inbox, hands each entry to the handler inline and acknowledges each stream's entries of the batch with
 * one multi-id {@code XACK} ({@link LettuceStreamReader}). Lettuce defaults throughout. What agentbus adds
 * (dedup, inbox cap, audit trail, counters, priority bands, a handler pool) is what its ratio to this costs;
 * {@code lettuce-raw} runs agentbus's own scripts on this client, which shows the client's overhead instead.
 */
final class LettucePlainSystem implements BenchSystem {

    static final String NAME = "lettuce-plain";
    private static final String GROUP = "bench";

    @Override
    public String name() {
        return NAME;
    }

    /** The scenarios of one inbox per agent; one-to-many, request/reply and cluster have no plain twin here. */
    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.of(
                Scenario.DIRECT_THROUGHPUT,
                Scenario.DIRECT_LATENCY,
                Scenario.FAN_IN,
                Scenario.PAYLOAD_SIZE,
                Scenario.BACKLOG_DRAIN,
                Scenario.DEPARTMENT);
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        Backlog rig = openBacklog(redis, agents, sink);
        rig.startConsumers();
        return rig;
    }

    @Override
    public Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) {
        List<String> inboxes = agents.stream().map(Payloads::inbox).toList();
        Streams streams = new Streams(redis.uri(), inboxes, sink);
        return new Backlog() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                return streams.add(inboxes.get(agent), Payloads.fields(agents.get(agent), payload));
            }

            @Override
            public void startConsumers() {
                streams.startReading();
            }

            @Override
            public List<String> ackedStreams() {
                return inboxes;
            }

            @Override
            public void close() throws InterruptedException {
                streams.close();
            }
        };
    }

    @Override
    public Member openDepartment(String redisUri, List<String> members, Sink sink) {
        Streams streams =
                new Streams(redisUri, members.stream().map(Payloads::inbox).toList(), sink);
        streams.startReading();
        return new Member() {
            @Override
            public CompletionStage<?> send(String from, String to, String payload) {
                return streams.add(Payloads.inbox(to), Payloads.fields(from, to, payload));
            }

            @Override
            public void close() throws InterruptedException {
                streams.close();
            }
        };
    }

    /** One client: the command connection that sends and acknowledges, the consumed streams' groups, the reader. */
    private static final class Streams {

        private final RedisClient client;
        private final RedisAsyncCommands<String, String> commands;
        private final List<String> consumed;
        private final Sink sink;
        private LettuceStreamReader reader;

        /** Connects and creates the group of every stream of {@code consumed} (MKSTREAM, from the first entry). */
        Streams(String uri, List<String> consumed, Sink sink) {
            this.client = RedisClient.create(uri);
            StatefulRedisConnection<String, String> connection = client.connect();
            this.commands = connection.async();
            this.consumed = consumed;
            this.sink = sink;
            LettuceRawSystem.createGroup(connection, consumed, GROUP, "0");
        }

        CompletionStage<String> add(String stream, Map<String, String> fields) {
            return commands.xadd(stream, fields);
        }

        void startReading() {
            reader = new LettuceStreamReader(
                    client,
                    this::ack,
                    GROUP,
                    consumed,
                    entry -> sink.accept(entry.getBody().get(WireFields.PAYLOAD)));
        }

        private void ack(String stream, String group, String consumer, List<StreamMessage<String, String>> entries) {
            commands.xack(
                    stream, group, entries.stream().map(StreamMessage::getId).toArray(String[]::new));
        }

        void close() throws InterruptedException {
            if (reader != null) {
                reader.close();
            }
            client.shutdown();
        }
    }
}
