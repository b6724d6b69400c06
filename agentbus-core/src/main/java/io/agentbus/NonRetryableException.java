package io.agentbus;

/**
 * Thrown by a handler for a message that will never succeed (a bad request, a policy refusal): the
 * message moves to dead letters at once with reason {@code non_retryable}, without further attempts.
 */
public class NonRetryableException extends RuntimeException {

    public NonRetryableException(String message) {
        super(message);
    }

    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
