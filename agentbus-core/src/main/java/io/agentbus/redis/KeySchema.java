package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.MessageId;

/**
 * The Redis key names of the protocol (docs/PROTOCOL.md). The braces are the Redis Cluster hash tag:
 * every key of one agent lives in the slot of its id, so multi-key scripts never cross slots.
 */
final class KeySchema {

    /** The consumer group of every inbox. One name for all inboxes lets one XREADGROUP read many. */
    static final String INBOX_GROUP = "agentbus";

    private KeySchema() {}

    /** The inbox stream of the normal band; see {@link PriorityBand} for the others. */
    static String inbox(AgentId agent) {
        return PriorityBand.NORMAL.inbox(agent);
    }

    static String deadLetters(AgentId agent) {
        return "agent:{" + agent.value() + "}:dlq";
    }

    /** Messages waiting for their delivery time, scored by it (ms since epoch). */
    static String delayed(AgentId agent) {
        return "agent:{" + agent.value() + "}:delayed";
    }

    /** Marks a message id as sent to the agent, for the dedup window. */
    static String dedup(AgentId agent, MessageId messageId) {
        return "agent:{" + agent.value() + "}:dedup:" + messageId.value();
    }

    /** Live agents: id -> expiry of its latest heartbeat (ms since epoch). */
    static final String LIVE_AGENTS = "agents:live";
    /** Every agent ever sent to or subscribed: the index that stats and dashboards walk instead of KEYS. */
    static final String KNOWN_AGENTS = "agents:known";
    /** Agents that published a card. */
    static final String CARDS = "agents:cards";
    /** The broadcast channel of presence changes. */
    static final String PRESENCE_CHANNEL = "events:agents:presence";

    static String card(AgentId agent) {
        return "agent:{" + agent.value() + "}:card";
    }

    /** The running instances of an agent: consumer -> expiry of its latest heartbeat. */
    static String instances(AgentId agent) {
        return "agent:{" + agent.value() + "}:instances";
    }

    /** Agents whose card lists a capability. */
    static String capability(String capability) {
        return "agents:capability:" + capability;
    }

    /** The set of hash tags that have an audit shard: the merge-on-read index of the audit trail. */
    static final String AUDIT_SHARDS = "audit:shards";

    /** The audit shard of everything about {@code tag} (an agent or a topic), in its slot. */
    static String auditMessages(String tag) {
        return "audit:messages:{" + tag + "}";
    }

    static String auditDecisions(String tag) {
        return "audit:decisions:{" + tag + "}";
    }

    /**
     * The counters of the agent or topic that {@code key} belongs to ({@code agent:{id}:counters},
     * {@code topic:{name}:counters}): a hash of sent, deduplicated, acked, retried, dead_lettered,
     * expired and redriven, incremented by the scripts that do those steps, so every process sees the
     * same totals.
     */
    static String counters(String key) {
        return key.substring(0, key.indexOf('}') + 1) + ":counters";
    }

    static String counters(AgentId agent) {
        return "agent:{" + agent.value() + "}:counters";
    }

    /** The hash tag of a key: what stands between its first '{' and the next '}'. */
    static String hashTag(String key) {
        int open = key.indexOf('{');
        int close = key.indexOf('}', open + 1);
        return key.substring(open + 1, close);
    }

    /** Every swarm that has had state: the index of swarm list, instead of KEYS. */
    static final String SWARMS = "swarms";

    static String swarmState(String swarm) {
        return "swarm:{" + swarm + "}:state";
    }

    static String swarmCheckpoints(String swarm) {
        return "swarm:{" + swarm + "}:checkpoints";
    }

    static String swarmCoordinator(String swarm) {
        return "swarm:{" + swarm + "}:coordinator";
    }

    static String topic(String name) {
        return "topic:{" + name + "}";
    }

    /** A consumer group's dead letters of a stream read by groups (a topic, a durable swarm event, swarm messages), in its slot. */
    static String groupDeadLetters(String stream, String group) {
        return stream + ":dlq:" + group;
    }

    static String groupFailures(String stream, String group) {
        return stream + ":failures:" + group;
    }

    /** The dedup marker of a message appended to a stream other than an inbox. */
    static String streamDedup(String stream, MessageId messageId) {
        return stream + ":dedup:" + messageId.value();
    }

    /** A swarm's event channel, and its stream when the type is durable (a channel and a key never clash). */
    static String swarmEvent(String swarm, String type) {
        return "event:{" + swarm + "}:" + type;
    }

    /** The consumer group of the receiving swarm on each of its message streams. */
    static final String MESSENGER_GROUP = "swarm";

    /** Messages from swarm {@code from} to swarm {@code to}: in the receiver's slot, with its other keys. */
    static String swarmMessages(String from, String to) {
        return "message:" + from + ":{" + to + "}";
    }

    /** The swarms that ever sent to {@code to}: how its receivers find their streams without KEYS. */
    static String swarmSenders(String to) {
        return "swarm:{" + to + "}:senders";
    }

    /** Marks a message id as handled by the agent, for {@code AgentBus.idempotent}. */
    static String processed(AgentId agent, MessageId messageId) {
        return "agent:{" + agent.value() + "}:processed:" + messageId.value();
    }
}
