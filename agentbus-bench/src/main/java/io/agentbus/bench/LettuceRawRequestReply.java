package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
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
 * {@code reply_to}; one {@link LettuceRawReader} reads the band streams of both inboxes, as agentbus's one
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
        String requests = "agent:{" + RESPONDER + "}:inbox";
        String replies = "agent:{" + REQUESTER + "}:inbox";
        List<String> bands = new ArrayList<>(LettuceRawSystem.bands(RESPONDER));
        bands.addAll(LettuceRawSystem.bands(REQUESTER));
        LettuceRawSystem.createGroup(commands, bands, LettuceRawSystem.GROUP, "0");
        Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
        LettuceRawReader reader = new LettuceRawReader(client, scripts, LettuceRawSystem.GROUP, bands, entry -> {
            Map<String, String> body = entry.getBody();
            if (entry.getStream().startsWith(requests)) {
                reply(scripts, replies, body);
                return;
            }
            CompletableFuture<Void> request = waiting.remove(body.get("correlation_id"));
            if (request != null) {
                sink.accept(body.get("payload"));
                request.complete(null);
            }
        });
        return BenchSystem.Rig.of(
                payload -> {
                    Map<String, String> fields = Payloads.fields(RESPONDER, payload);
                    fields.put("reply_to", REQUESTER);
                    String id = fields.get("message_id");
                    CompletableFuture<Void> reply = new CompletableFuture<>();
                    waiting.put(id, reply);
                    scripts.send(
                                    requests,
                                    "agent:{" + RESPONDER + "}:dedup:" + id,
                                    LettuceRawSystem.GROUP,
                                    LettuceRawScripts.MAX_INBOX_LENGTH,
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
        Map<String, String> fields = Payloads.fields(REQUESTER, request.get("payload"));
        fields.put("from_agent", RESPONDER);
        fields.put("message_type", request.get("message_type") + ".reply");
        fields.put("correlation_id", request.get("message_id"));
        scripts.send(
                replies,
                "agent:{" + REQUESTER + "}:dedup:" + fields.get("message_id"),
                "",
                LettuceRawScripts.MAX_INBOX_LENGTH,
                fields);
    }
}
