package io.agentbus.redis;

import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What the consumer side (lanes, feeds, running instances) needs from its bus, and nothing more: it
 * never holds the bus itself, so the bus depends on the consumer side and not the other way round.
 *
 * @param replies whether an envelope is a reply to a request of this bus (then it completed it, or
 *                came too late, and is not for the handler)
 * @param sender  sends a handler's reply
 */
record ConsumerContext(
        BusOptions options,
        StreamScripts scripts,
        BusThreads threads,
        BusMetrics metrics,
        Tracing tracing,
        RedisRegistry presence,
        Predicate<Envelope> replies,
        Function<Envelope, CompletionStage<SendReceipt>> sender) {}
