package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusAuthException;
import io.agentbus.BusUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** Maps Lettuce and Redis failures onto the bus's exceptions, in one place, keeping the cause. */
final class RedisErrors {

    private RedisErrors() {}

    static AgentBusException map(Throwable failure, String action) {
        Throwable error = unwrap(failure);
        if (error instanceof AgentBusException known) {
            return known;
        }
        String detail = action + ": " + error.getMessage();
        if (error instanceof RedisCommandTimeoutException) {
            return new BusUnavailableException(detail, error);
        }
        if (error instanceof RedisConnectionException || error instanceof IOException) {
            return new BusUnavailableException(detail, error);
        }
        if (error instanceof RedisCommandExecutionException && isAuthError(error.getMessage())) {
            return new BusAuthException(detail, error);
        }
        if (error instanceof RedisException && isUnavailable(error.getMessage())) {
            return new BusUnavailableException(detail, error);
        }
        return new AgentBusException(detail, error);
    }

    /** Completes like {@code stage}, with a failure mapped by {@link #map}. */
    static <T> CompletionStage<T> mapped(CompletionStage<T> stage, String action) {
        return stage.handle((value, failure) -> {
            if (failure != null) {
                throw map(failure, action);
            }
            return value;
        });
    }

    /** Whether {@code failure} or one of its causes is a Redis error reply starting with {@code code}. */
    static boolean hasErrorCode(Throwable failure, String code) {
        for (Throwable error = failure; error != null; error = error.getCause()) {
            if (error instanceof RedisCommandExecutionException
                    && error.getMessage() != null
                    && error.getMessage().startsWith(code)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code failure} or one of its causes is an ACL refusal: a NOPERM reply, or the bus's mapping of one. */
    static boolean isPermissionDenied(Throwable failure) {
        for (Throwable error = failure; error != null; error = error.getCause()) {
            if (error instanceof io.agentbus.BusPermissionException) {
                return true;
            }
        }
        return hasErrorCode(failure, "NOPERM");
    }

    /** Lettuce's own refusals while disconnected or overloaded: the command never reached Redis. */
    private static boolean isUnavailable(String message) {
        return message != null
                && (message.contains("Connection closed")
                        || message.contains("not connected")
                        || message.contains("Request queue size exceeded")
                        || message.contains("Connection is closed"));
    }

    private static boolean isAuthError(String message) {
        return message != null
                && (message.startsWith("NOAUTH")
                        || message.startsWith("WRONGPASS")
                        || message.startsWith("NOPERM")
                        || message.startsWith("ERR AUTH"));
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable error = failure;
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
