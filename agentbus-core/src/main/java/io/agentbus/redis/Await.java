package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusUnavailableException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Waiting for a Redis step from a thread that may block, with failures mapped as the sync view maps them. */
final class Await {

    private static final Logger log = LoggerFactory.getLogger(Await.class);

    private Await() {}

    static <T> T result(CompletionStage<T> stage, long timeoutMillis, String action) {
        try {
            return stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentBusException("interrupted: " + action, e);
        } catch (TimeoutException e) {
            throw new BusUnavailableException(action + ": no answer within " + timeoutMillis + " ms", e);
        } catch (ExecutionException e) {
            throw RedisErrors.map(e, action);
        }
    }

    /** Waits at most {@code timeoutMillis} for {@code stage}, ignoring how it ends: for close paths. */
    static void quietly(CompletionStage<?> stage, long timeoutMillis) {
        try {
            stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("gave up waiting: {}", e.toString());
        }
    }
}
