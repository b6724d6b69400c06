package io.agentbus.redis;

import io.agentbus.MessageHandler;
import io.agentbus.protocol.KeySchema;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handlers that skip messages already handled: a marker key per handled message id
 * ({@link KeySchema#processed}), set after the handler returned and before the ack, kept for a window.
 */
final class Idempotency {

    private static final Logger log = LoggerFactory.getLogger(Idempotency.class);

    private Idempotency() {}

    static MessageHandler wrap(
            RedisClusterAsyncCommands<String, String> commands,
            long timeoutMillis,
            MessageHandler handler,
            Duration window) {
        Objects.requireNonNull(handler, "handler");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("idempotency window must be > 0, was " + window);
        }
        return delivery -> {
            String marker = KeySchema.processed(
                    delivery.envelope().toAgent(), delivery.envelope().messageId());
            if (Await.result(commands.exists(marker), timeoutMillis, "check " + marker) > 0) {
                log.debug(
                        "message {} was already handled; acknowledging without running the handler",
                        delivery.envelope().messageId());
                return;
            }
            handler.handle(delivery);
            // Set before the ack, so a redelivery after a crash between the two is still recognised.
            Await.result(
                    commands.set(marker, delivery.entryId(), SetArgs.Builder.px(window.toMillis())),
                    timeoutMillis,
                    "set " + marker);
        };
    }
}
