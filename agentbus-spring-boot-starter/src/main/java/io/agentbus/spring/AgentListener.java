package io.agentbus.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method as the handler of one agent's inbox: while the application context runs, the method is
 * subscribed to {@link #agent()} on the application's {@link io.agentbus.AgentBus}, one instance per method.
 *
 * <pre>{@code
 * @Component
 * class Copywriter {
 *     @AgentListener(agent = "copywriter")
 *     void write(Brief brief) { ... }             // the payload, read with the application's ObjectMapper
 * }
 * }</pre>
 *
 * <p>The method takes one parameter: {@link io.agentbus.Delivery} (the message, its attempt, and the outcome
 * verbs), {@link io.agentbus.Envelope} (the message), {@link String} (the payload's JSON text), or any other
 * type, which the payload is read into with the application's Jackson {@code ObjectMapper}. A payload that
 * cannot be read into that type goes to dead letters at once: no retry would read it better.
 *
 * <p>Returning normally acknowledges the message; a returned {@link java.util.concurrent.CompletionStage}
 * acknowledges it when the stage completes ({@link io.agentbus.Delivery#ackWhen}). A thrown exception is a
 * handler failure: the message is delivered again with the configured backoff, and moves to the agent's dead
 * letters after {@code agentbus.delivery.max-attempts} ({@link io.agentbus.NonRetryableException} at once).
 *
 * <p>Deliveries of one method are handled one at a time, on the bus's handler threads. When the context
 * closes, the method stops receiving, the deliveries it was given finish and are acknowledged (within
 * {@code agentbus.consumer.shutdown-timeout}), and only then is the bus closed.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface AgentListener {

    /** The agent whose inbox the method handles; {@code ${...}} placeholders are resolved. */
    String agent();
}
