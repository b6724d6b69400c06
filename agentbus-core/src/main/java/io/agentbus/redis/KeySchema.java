package io.agentbus.redis;

import io.agentbus.AgentId;

/**
 * The Redis key names of the protocol (docs/PROTOCOL.md). The braces are the Redis Cluster hash tag:
 * every key of one agent lives in the slot of its id, so multi-key scripts never cross slots.
 */
final class KeySchema {

    /** The consumer group of every inbox. One name for all inboxes lets one XREADGROUP read many. */
    static final String INBOX_GROUP = "agentbus";

    private KeySchema() {
    }

    static String inbox(AgentId agent) {
        return "agent:{" + agent.value() + "}:inbox";
    }

    static String deadLetters(AgentId agent) {
        return "agent:{" + agent.value() + "}:dlq";
    }
}
