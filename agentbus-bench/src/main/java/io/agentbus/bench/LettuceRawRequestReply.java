package io.agentbus.bench;

import io.agentbus.SendOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code lettuce-raw}'s request/reply: the commands agentbus issues (docs/PROTOCOL.md section 7), without
 * agentbus's code. A request is send.lua to the responder's inbox requiring its group {@code agentbus}, with
 * {@code reply_to}; one {@link LettuceStreamReader} reads the band streams of both inboxes, as agentbus's one
 * reader per group does. For a request it sends the reply (send.lua to the requester's inbox, with
 * {@code correlation_id}), for a reply it completes the waiting request; either is then acked by ack.lua.
 */
final class LettuceRawRequestReply {

    private static final String REQUESTER = "producer";
    private static final String RESPONDER = "responder";

    private LettuceRawRequestReply() {}

    static BenchSystem.Rig open(LocalRedis redis, Sink sink) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> commands = client.connect();
        LettuceRawScripts scripts = new LettuceRawScripts(commands);
        String requests = Payloads.inbox(RESPONDER);
        String replies = Payloads.inbox(REQUESTER);
        List<String> bands = new ArrayList<>(LettuceRawSystem.bands(RESPONDER));
        bands.addAll(LettuceRawSystem.bands(REQUESTER));
        LettuceRawSystem.createGroup(commands, bands, KeySchema.INBOX_GROUP, "0");
        Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
        LettuceStreamReader reader =
                new LettuceStreamReader(client, scripts::ack, KeySchema.INBOX_GROUP, bands, entry -> {
                    Map<String, String> body = entry.getBody();
                    if (entry.getStream().startsWith(requests)) {
                        reply(scripts, replies, body);
                        return;
                    }
                    CompletableFuture<Void> request = waiting.remove(body.get(WireFields.CORRELATION_ID));
                    if (request != null) {
                        sink.accept(body.get(WireFields.PAYLOAD));
                        request.complete(null);
                    }
                });
        return BenchSystem.Rig.of(
                payload -> {
                    Map<String, String> fields = Payloads.fields(RESPONDER, payload);
                    fields.put(WireFields.REPLY_TO, REQUESTER);
                    String id = fields.get(WireFields.MESSAGE_ID);
                    CompletableFuture<Void> reply = new CompletableFuture<>();
                    waiting.put(id, reply);
                    scripts.send(
                                    requests,
                                    Payloads.dedup(RESPONDER, id),
                                    KeySchema.INBOX_GROUP,
                                    SendOptions.DEFAULT_MAX_INBOX_LENGTH,
                                    fields)
                            .whenComplete((stored, failure) -> {
                                if (failure != null || (Long) stored.get(0) != 1) {
                                    waiting.remove(id);
                                    reply.completeExceptionally(
                                            failure != null
                                                    ? failure
                                                    : new IllegalStateException(
                                                            "request " + id + " not stored: " + stored));
                                }
                            });
                    return reply;
                },
                List.of(requests, replies),
                () -> {
                    reader.close();
                    client.shutdown();
                });
    }

    /** The reply agentbus's {@code serve} sends: the request's payload back, to its reply_to, correlated by its id. */
    private static void reply(LettuceRawScripts scripts, String replies, Map<String, String> request) {
        Map<String, String> fields = Payloads.fields(REQUESTER, request.get(WireFields.PAYLOAD));
        fields.put(WireFields.FROM_AGENT, RESPONDER);
        fields.put(WireFields.MESSAGE_TYPE, request.get(WireFields.MESSAGE_TYPE) + ".reply");
        fields.put(WireFields.CORRELATION_ID, request.get(WireFields.MESSAGE_ID));
        scripts.send(
                replies,
                Payloads.dedup(REQUESTER, fields.get(WireFields.MESSAGE_ID)),
                "",
                SendOptions.DEFAULT_MAX_INBOX_LENGTH,
                fields);
    }
}
