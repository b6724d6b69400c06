package io.agentbus.testkit.memory;

import io.agentbus.AgentId;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import io.agentbus.Subscription;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.memory.InMemoryServer.Counter;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One running instance of an agent (or of a topic's subscriber group, or of a swarm's receiver): a
 * consumer of one group on its streams, highest priority first, that hands each message to its
 * handler, one at a time, and settles it by the rules of the Redis bus.
 *
 * <p>At least once: a delivered message stays pending until settled. Returning acknowledges;
 * throwing retries after the backoff (the retry waits in the pending list, at most the visibility
 * timeout) until the last attempt, which dead-letters it ({@code max_attempts});
 * {@link NonRetryableException} and {@code deadLetter} dead-letter at once; {@code ackWhen} settles
 * when the work completes. A message delivered more than {@code maxAttempts} times without an outcome
 * is dead-lettered when read, an expired one is dead-lettered or dropped per
 * {@link DeliveryOptions#onExpiry()}. A handler's lease lasts its {@code maxLeaseExtension} plus the
 * visibility timeout; after that, or when an instance closes with work unsettled, another instance
 * may take the message again.
 *
 * <p>Concurrency: the fields marked so are guarded by the server's lock; the handler runs outside it.
 */
final class MemoryConsumer implements Subscription {

    private static final System.Logger log = System.getLogger(MemoryConsumer.class.getName());
    private static final int MAX_DETAIL = 500;

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;
    private final AgentId subscriber;
    private final String group;
    private final Supplier<List<MemoryStream>> streams;
    private final DeliveryOptions delivery;
    private final MessageHandler handler;
    private final String name;
    private final boolean agentInbox;
    /** Guarded by the server: a handler of this instance runs. */
    private boolean busy;
    /** Guarded by the server. */
    private boolean stopped;

    private Instant lastActive;
    private volatile Thread handlerThread;

    private record Claimed(MemoryStream stream, MemoryStream.Pending pending, int deliveries) {}

    /**
     * @param streams    the streams consumed, highest priority first (a swarm receiver's grow as senders appear)
     * @param agentInbox whether this is an agent's inbox, where the replies to the bus's requests arrive
     */
    MemoryConsumer(
            InMemoryAgentBus bus,
            AgentId subscriber,
            String group,
            Supplier<List<MemoryStream>> streams,
            DeliveryOptions delivery,
            MessageHandler handler,
            String name,
            boolean agentInbox) {
        this.bus = bus;
        this.server = bus.server();
        this.subscriber = subscriber;
        this.group = group;
        this.streams = streams;
        this.delivery = delivery;
        this.handler = handler;
        this.name = name;
        this.agentInbox = agentInbox;
        this.lastActive = server.clock.instant();
    }

    AgentId subscriber() {
        return subscriber;
    }

    boolean consumesInboxOf(AgentId agent) {
        return agentInbox && subscriber.equals(agent);
    }

    @Override
    public String consumer() {
        return name;
    }

    /** Under the server's lock: while idle, takes the next message and starts its handler. */
    void takeWork(Instant now) {
        while (!busy && !stopped) {
            Claimed claimed = claim(now);
            if (claimed == null) {
                return;
            }
            lastActive = now;
            MemoryStream.Pending pending = claimed.pending();
            Envelope envelope = pending.entry.envelope();
            if (pending.deliveries > delivery.maxAttempts()) {
                deadLetter(
                        claimed,
                        DeadLetterReason.MAX_ATTEMPTS,
                        null,
                        "delivered " + pending.deliveries + " times without an outcome (max " + delivery.maxAttempts()
                                + "): the consumers holding it died or their leases expired");
            } else if (envelope.isExpiredAt(now)) {
                expire(claimed);
            } else if (agentInbox && bus.takeReply(envelope)) {
                ack(claimed);
            } else {
                busy = true;
                server.workStarted();
                MemoryDelivery handed =
                        new MemoryDelivery(subscriber, name, pending, now, bus::sendReply, () -> extendLease(claimed));
                bus.execute(() -> run(claimed, handed));
            }
        }
    }

    private Claimed claim(Instant now) {
        Instant holdUntil = now.plus(delivery.maxLeaseExtension()).plus(delivery.visibilityTimeout());
        for (MemoryStream stream : streams.get()) {
            MemoryStream.Pending pending = stream.claim(group, name, now, holdUntil);
            if (pending != null) {
                return new Claimed(stream, pending, pending.deliveries);
            }
        }
        return null;
    }

    private void run(Claimed claimed, MemoryDelivery handed) {
        Throwable failure = null;
        handlerThread = Thread.currentThread();
        try {
            handler.handle(handed);
        } catch (Throwable thrown) {
            failure = thrown;
            log.log(Level.DEBUG, () -> "handler of " + subscriber + " failed " + handed + ": " + thrown);
        } finally {
            handlerThread = null;
        }
        synchronized (server) {
            if (holds(claimed)) {
                settle(claimed, handed, failure);
            }
            busy = false;
            server.workEnded();
        }
        server.pump();
    }

    private boolean holds(Claimed claimed) {
        return claimed.stream().holds(group, claimed.pending(), claimed.deliveries());
    }

    /** Under the server's lock: carries out what the handler chose or threw. */
    private void settle(Claimed claimed, MemoryDelivery handed, Throwable failure) {
        int attempt = claimed.deliveries();
        if (failure instanceof NonRetryableException) {
            deadLetter(claimed, DeadLetterReason.NON_RETRYABLE, null, describe(failure));
        } else if (failure != null) {
            retryOrGiveUp(claimed, delivery.backoff().delayAfter(attempt), describe(failure));
        } else if (handed.rejectReason != null) {
            deadLetter(claimed, DeadLetterReason.REJECTED, null, truncate(handed.rejectReason));
        } else if (handed.ackWhen != null) {
            settleWhenDone(claimed, handed.ackWhen);
        } else if (handed.retryDelay != null) {
            retryOrGiveUp(claimed, handed.retryDelay, "handler asked to retry in " + handed.retryDelay);
        } else {
            ack(claimed);
        }
    }

    private void settleWhenDone(Claimed claimed, CompletionStage<?> work) {
        server.workStarted();
        work.whenComplete((done, failure) -> {
            synchronized (server) {
                if (holds(claimed)) {
                    if (failure == null) {
                        ack(claimed);
                    } else {
                        retryOrGiveUp(
                                claimed,
                                delivery.backoff().delayAfter(claimed.deliveries()),
                                describe(unwrapped(failure)));
                    }
                }
                server.workEnded();
            }
            server.pump();
        });
    }

    private void retryOrGiveUp(Claimed claimed, Duration delay, String detail) {
        int attempt = claimed.deliveries();
        if (attempt >= delivery.maxAttempts()) {
            deadLetter(
                    claimed,
                    DeadLetterReason.MAX_ATTEMPTS,
                    null,
                    "attempt " + attempt + " of " + delivery.maxAttempts() + " failed: " + detail);
            return;
        }
        Instant now = server.clock.instant();
        MemoryStream.Pending pending = claimed.pending();
        if (pending.firstFailedAt == null) {
            pending.firstFailedAt = now;
        }
        // As on Redis, a retry waits in the pending list: at most until the visibility timeout reclaims it.
        Duration wait = delay.compareTo(delivery.visibilityTimeout()) > 0 ? delivery.visibilityTimeout() : delay;
        pending.claimableAt = now.plus(wait);
        server.count(KeySchema.counters(claimed.stream().key), Counter.RETRIED);
        audit(
                claimed,
                "retried",
                Map.of(WireFields.AUDIT_ATTEMPT, Integer.toString(attempt), WireFields.AUDIT_REASON, detail));
    }

    private void ack(Claimed claimed) {
        claimed.stream().settle(group, claimed.pending());
        server.count(KeySchema.counters(claimed.stream().key), Counter.ACKED);
        audit(claimed, "acked", Map.of());
        if (agentInbox) {
            claimed.stream().trim(bus.options().consumer().inboxRetention(), server.clock.instant());
        }
    }

    private void expire(Claimed claimed) {
        Envelope envelope = claimed.pending().entry.envelope();
        boolean deadLettered = delivery.onExpiry() == DeliveryOptions.OnExpiry.DEAD_LETTER;
        if (deadLettered) {
            deadLetter(
                    claimed,
                    DeadLetterReason.EXPIRED,
                    WireFields.EXPIRES_AT,
                    "expired at " + envelope.expiresAt().orElseThrow());
        } else {
            ack(claimed); // a dropped message counts as acked, as on Redis
        }
        bus.execute(() -> bus.options().listener().expired(envelope, deadLettered));
    }

    private void deadLetter(Claimed claimed, DeadLetterReason reason, String field, String detail) {
        MemoryStream stream = claimed.stream();
        MemoryStream.Pending pending = claimed.pending();
        stream.settle(group, pending);
        Instant now = server.clock.instant();
        Envelope envelope = pending.entry.envelope();
        String key = stream.key.startsWith("agent:{")
                ? KeySchema.deadLetters(subscriber)
                : KeySchema.groupDeadLetters(stream.key, group);
        DeadLetter letter = new DeadLetter(
                server.nextId(now),
                subscriber,
                Optional.of(envelope),
                MemoryAuditTrail.fieldsOf(envelope, true),
                reason,
                detail,
                Optional.ofNullable(field),
                pending.deliveries,
                pending.firstFailedAt == null ? now : pending.firstFailedAt,
                now,
                name,
                pending.entry.id());
        server.deadLetterBox(key).put(letter.id(), new InMemoryServer.StoredDeadLetter(letter, stream));
        boolean expired = reason == DeadLetterReason.EXPIRED;
        server.count(KeySchema.counters(stream.key), expired ? Counter.EXPIRED : Counter.DEAD_LETTERED);
        audit(
                claimed,
                expired ? "expired" : "dead_lettered",
                Map.of(
                        WireFields.AUDIT_ATTEMPT,
                        Integer.toString(pending.deliveries),
                        WireFields.AUDIT_REASON,
                        reason.code() + ": " + detail));
    }

    private void audit(Claimed claimed, String event, Map<String, String> extra) {
        long cap = bus.options().auditCap();
        if (cap == 0) {
            return;
        }
        Map<String, String> fields =
                MemoryAuditTrail.fieldsOf(claimed.pending().entry.envelope(), false);
        fields.put(WireFields.AUDIT_STREAM, claimed.stream().key);
        fields.put(WireFields.AUDIT_ENTRY_ID, claimed.pending().entry.id());
        fields.put(WireFields.AUDIT_CONSUMER, name);
        fields.putAll(extra);
        server.record(KeySchema.hashTag(claimed.stream().key), event, fields, cap);
    }

    private void extendLease(Claimed claimed) {
        synchronized (server) {
            Instant until = server.clock.instant().plus(delivery.visibilityTimeout());
            MemoryStream.Pending pending = claimed.pending();
            if (holds(claimed) && pending.claimableAt.isBefore(until)) {
                pending.claimableAt = until;
            }
        }
    }

    /** Under the server's lock: the pending entries this instance holds, and how long since it last took one; live, as it runs. */
    io.agentbus.InboxStats.ConsumerStats stats(Instant now) {
        long held = 0;
        for (MemoryStream stream : streams.get()) {
            for (MemoryStream.Pending pending : stream.pendingEntries(group)) {
                if (name.equals(pending.consumer)) {
                    held++;
                }
            }
        }
        return new io.agentbus.InboxStats.ConsumerStats(name, held, Duration.between(lastActive, now), true);
    }

    /**
     * Stops taking messages and waits, up to the shutdown timeout, for the running handler to finish and
     * settle (at once when called from that handler). Work a handler acked with and that is still
     * unsettled gets the visibility timeout, after which another instance may take the message.
     */
    @Override
    public void close() {
        synchronized (server) {
            if (stopped) {
                return;
            }
            stopped = true;
            server.consumers.remove(this);
            Instant leaseEnd = server.clock.instant().plus(delivery.visibilityTimeout());
            for (MemoryStream stream : streams.get()) {
                for (MemoryStream.Pending pending : stream.pendingEntries(group)) {
                    if (name.equals(pending.consumer) && pending.claimableAt.isAfter(leaseEnd)) {
                        pending.claimableAt = leaseEnd;
                    }
                }
            }
            if (Thread.currentThread() != handlerThread) {
                long deadline = System.nanoTime()
                        + bus.options().consumer().shutdownTimeout().toNanos();
                while (busy && deadline - System.nanoTime() > 0) {
                    try {
                        server.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        bus.consumerClosed(this);
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
    }

    private static String describe(Throwable failure) {
        return truncate(failure.getClass().getName() + ": " + failure.getMessage());
    }

    private static String truncate(String text) {
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
    }
}
