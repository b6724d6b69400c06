package io.agentbus.redis;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Group commit of sends (docs/adr/0002): a send goes to Redis at once when no call is in flight for its
 * server (on a cluster, its slot); the sends that arrive while one is go together, as one
 * {@code send_batch.lua} call, when it returns. No timer: a lone send never waits, and under load the
 * cost of calling a script is paid once per batch, not once per message. A batch holds at most
 * {@link #MAX_MESSAGES} messages and {@link #MAX_BYTES} bytes of fields (one larger message goes alone),
 * and never crosses slots, so every key of one call is on one node.
 *
 * <p>No send waits past its timeout for a call ahead of it: while Redis does not answer (a half-open
 * connection), the sends queued behind the call in flight would each wait for that call's timeout and then
 * their own. So a batch fails, with a timeout, once its oldest send has waited the send timeout since it
 * was made, whether or not Redis answered (NetworkFaultsIT); the lane then goes on with the next.
 */
final class SendBatches {

    /** The most messages of one call: enough to pay the call's cost once per hundred, small enough not to block Redis. */
    static final int MAX_MESSAGES = 100;

    /** The most field bytes of one call, unless one message alone is larger. */
    static final long MAX_BYTES = 1 << 20;

    /** What send_batch.lua says of one message: its outcome (1, 0, -1, -2, -3) and the value that goes with it. */
    record Reply(long outcome, String value, long replicas) {}

    /**
     * Where a message goes, what the messages to one place share and send_batch.lua asks once per call:
     * its stream (for a delayed message, the agent's delayed set), audit shard and senders index (null for
     * none), counters, the group the stream must have, its cap, and the swarm sender and receivers' group
     * ('' for none).
     */
    record Destination(
            String stream,
            String audit,
            String counters,
            String senders,
            String requiredGroup,
            long maxLength,
            String sender,
            String receivers) {}

    /**
     * One message to send: its destination, dedup marker, due time for a delayed message (null otherwise),
     * fields, their size in bytes, and the reply to complete.
     */
    record Message(
            Destination to,
            String dedup,
            Long dueMillis,
            Map<String, String> fields,
            long bytes,
            long madeNanos,
            CompletableFuture<Reply> reply) {

        static Message of(Destination to, String dedup, Long dueMillis, Map<String, String> fields) {
            long bytes = 0;
            for (Map.Entry<String, String> field : fields.entrySet()) {
                bytes += field.getKey().length() + field.getValue().length();
            }
            return new Message(to, dedup, dueMillis, fields, bytes, System.nanoTime(), new CompletableFuture<>());
        }
    }

    /** Runs one call on the node of {@code stream}. */
    interface Store {
        CompletionStage<Stored> store(String stream, Call call);
    }

    /** The call's flat reply (two values per message), and how many replicas WAIT counted (-1 without WAIT). */
    record Stored(List<Object> reply, long replicas) {}

    private final Store store;
    private final boolean cluster;
    private final long dedupWindowMillis;
    private final long auditCap;
    private final ScheduledExecutorService timer;
    private final Duration timeout;
    private final Map<Integer, Lane> lanes = new ConcurrentHashMap<>();

    SendBatches(
            Store store,
            boolean cluster,
            long dedupWindowMillis,
            long auditCap,
            ScheduledExecutorService timer,
            Duration timeout) {
        this.store = store;
        this.cluster = cluster;
        this.dedupWindowMillis = dedupWindowMillis;
        this.auditCap = auditCap;
        this.timer = timer;
        this.timeout = timeout;
    }

    /** Sends {@code message} now, or with the batch that follows the call in flight for its slot. */
    CompletionStage<Reply> submit(Message message) {
        int slot = cluster ? SlotHash.getSlot(message.to().stream()) : 0;
        Lane lane = lanes.computeIfAbsent(slot, s -> new Lane());
        List<Message> batch = lane.offer(message);
        if (batch != null) {
            dispatch(lane, batch);
        }
        return message.reply();
    }

    private void dispatch(Lane lane, List<Message> batch) {
        CompletableFuture<Stored> answered = new CompletableFuture<>();
        long waitNanos = batch.get(0).madeNanos() + timeout.toNanos() - System.nanoTime();
        ScheduledFuture<?> overdue = timer.schedule(
                () -> answered.completeExceptionally(new RedisCommandTimeoutException(
                        "no answer from Redis within " + timeout + " of the oldest send of this batch")),
                Math.max(0, waitNanos),
                TimeUnit.NANOSECONDS);
        try {
            Call call = Call.of(batch, dedupWindowMillis, auditCap);
            store.store(batch.get(0).to().stream(), call).whenComplete((both, failure) -> {
                if (failure == null) {
                    answered.complete(both);
                } else {
                    answered.completeExceptionally(failure);
                }
            });
        } catch (RuntimeException e) {
            answered.completeExceptionally(e);
        }
        answered.whenComplete((both, failure) -> {
            overdue.cancel(false);
            // The next batch goes first: the replies below run callers' code.
            List<Message> next = lane.next();
            if (next != null) {
                dispatch(lane, next);
            }
            settle(batch, both, failure);
        });
    }

    private static void settle(List<Message> batch, Stored both, Throwable failure) {
        if (failure == null && (both.reply() == null || both.reply().size() != 2 * batch.size())) {
            failure = new IllegalStateException(
                    "send_batch.lua answered " + both.reply() + " for " + batch.size() + " messages");
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Reply> reply = batch.get(i).reply();
            if (failure != null) {
                reply.completeExceptionally(failure);
            } else {
                Object value = both.reply().get(2 * i + 1);
                reply.complete(new Reply(
                        (Long) both.reply().get(2 * i), value == null ? "" : value.toString(), both.replicas()));
            }
        }
    }

    /** The sends of one slot: those waiting, and whether a call is in flight. */
    private static final class Lane {
        private final ArrayDeque<Message> waiting = new ArrayDeque<>();
        private boolean inFlight;

        /** Queues {@code message}; the batch to send now when no call was in flight, else null. */
        synchronized List<Message> offer(Message message) {
            waiting.add(message);
            if (inFlight) {
                return null;
            }
            inFlight = true;
            return take();
        }

        /** The call in flight returned: the next batch to send, or null (and none in flight) when none waits. */
        synchronized List<Message> next() {
            if (waiting.isEmpty()) {
                inFlight = false;
                return null;
            }
            return take();
        }

        private List<Message> take() {
            List<Message> batch = new ArrayList<>(Math.min(waiting.size(), MAX_MESSAGES));
            long bytes = 0;
            while (!waiting.isEmpty() && batch.size() < MAX_MESSAGES) {
                Message head = waiting.peek();
                if (!batch.isEmpty() && bytes + head.bytes() > MAX_BYTES) {
                    break;
                }
                bytes += head.bytes();
                batch.add(waiting.poll());
            }
            return batch;
        }
    }

    /**
     * One script call for a batch: send_batch.lua, with each key once and each destination once, which the
     * messages refer to by index; or, for a lone message that is not delayed, send.lua, which Redis runs
     * for less (a script's arguments are parsed in Lua: send_batch.lua's general form costs a lone
     * message about a third more server time, docs/adr/0004).
     */
    record Call(LuaScript script, String[] keys, String[] args) {

        static final LuaScript SEND = LuaScript.load("send.lua");
        static final LuaScript SEND_BATCH = LuaScript.load("send_batch.lua");

        static Call of(List<Message> batch, long dedupWindowMillis, long auditCap) {
            Message lone = batch.get(0);
            if (batch.size() == 1 && lone.dueMillis() == null && lone.to().audit() != null) {
                return alone(lone, dedupWindowMillis, auditCap);
            }
            Map<String, Integer> keys = new LinkedHashMap<>();
            Map<Destination, Integer> destinations = new LinkedHashMap<>();
            for (Message message : batch) {
                destinations.computeIfAbsent(message.to(), to -> destinations.size() + 1);
            }
            List<String> args = new ArrayList<>(4 + destinations.size() * 8 + batch.size() * 20);
            args.add(Long.toString(dedupWindowMillis));
            args.add(Long.toString(auditCap));
            args.add(Integer.toString(destinations.size()));
            for (Destination to : destinations.keySet()) {
                args.add(index(keys, to.stream()));
                args.add(to.audit() == null ? "0" : index(keys, to.audit()));
                args.add(index(keys, to.counters()));
                args.add(to.senders() == null ? "0" : index(keys, to.senders()));
                args.add(to.requiredGroup());
                args.add(Long.toString(to.maxLength()));
                args.add(to.sender());
                args.add(to.receivers());
            }
            args.add(Integer.toString(batch.size()));
            for (Message message : batch) {
                args.add(Integer.toString(destinations.get(message.to())));
                args.add(index(keys, message.dedup()));
                args.add(message.dueMillis() == null ? "" : Long.toString(message.dueMillis()));
                args.add(Integer.toString(message.fields().size()));
                for (Map.Entry<String, String> field : message.fields().entrySet()) {
                    args.add(field.getKey());
                    args.add(field.getValue());
                }
            }
            return new Call(SEND_BATCH, keys.keySet().toArray(String[]::new), args.toArray(String[]::new));
        }

        /** send.lua's KEYS and ARGV for one message (docs/PROTOCOL.md section 4). */
        private static Call alone(Message message, long dedupWindowMillis, long auditCap) {
            Destination to = message.to();
            List<String> keys = new ArrayList<>(List.of(to.stream(), message.dedup(), to.audit(), to.counters()));
            List<String> args = new ArrayList<>(6 + 2 * message.fields().size());
            args.addAll(List.of(
                    Long.toString(dedupWindowMillis),
                    to.requiredGroup(),
                    Long.toString(to.maxLength()),
                    Long.toString(auditCap)));
            if (to.senders() != null) {
                keys.add(to.senders());
                args.add(to.sender());
                args.add(to.receivers());
            }
            for (Map.Entry<String, String> field : message.fields().entrySet()) {
                args.add(field.getKey());
                args.add(field.getValue());
            }
            return new Call(SEND, keys.toArray(String[]::new), args.toArray(String[]::new));
        }

        private static String index(Map<String, Integer> keys, String key) {
            return Integer.toString(keys.computeIfAbsent(key, k -> keys.size() + 1));
        }
    }
}
