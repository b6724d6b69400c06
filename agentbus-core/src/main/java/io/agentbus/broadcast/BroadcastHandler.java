package io.agentbus.broadcast;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;

/**
 * Receives ephemeral broadcasts ({@link AgentBus#listen}). Called on the bus's handler threads, one
 * message at a time per listening, in arrival order. A thrown exception is logged and the listening
 * goes on: one bad message never ends a subscription. There is no ack and no redelivery: a broadcast
 * missed while disconnected is gone (counted by the sequence gaps, {@link BroadcastStats#gaps()}).
 */
@FunctionalInterface
public interface BroadcastHandler {

    void handle(String channel, Envelope message) throws Exception;
}
