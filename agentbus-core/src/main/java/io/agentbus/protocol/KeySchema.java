package io.agentbus.protocol;

import io.agentbus.AgentId;
import io.agentbus.MessageId;

/**
 * The Redis key names of the protocol (docs/PROTOCOL.md), the one place that builds them. The braces
 * are the Redis Cluster hash tag: every key of one agent lives in the slot of its id, so multi-key
 * scripts never cross slots. Public for the tools that read or write Redis without the bus (the CLI,
 * the bench's raw Redis rigs, your own), so that they name keys exactly as the bus does.
 */
public final class KeySchema {

    /** The consumer group of every inbox. One name for all inboxes lets one XREADGROUP read many. */
    public static final String INBOX_GROUP = "agentbus";

    private KeySchema() {}

    /**
     * The inbox stream that a message of {@code priority} goes to: {@code agent:{id}:inbox} for the
     * normal band, {@code agent:{id}:inbox:high} and {@code agent:{id}:inbox:low} for the others.
     */
    public static String inbox(AgentId agent, int priority) {
        return agentKey(agent, "inbox" + bandSuffix(priority));
    }

    /** The failure records of the band of {@code priority}: entry id -> time of its first failed delivery. */
    public static String failures(AgentId agent, int priority) {
        return agentKey(agent, "failures" + bandSuffix(priority));
    }

    /** The lowest priority of the high band (7-9); protocol.lua holds the same limit. */
    public static final int HIGH_BAND_LOWEST_PRIORITY = 7;
    /** The lowest priority of the normal band (4-6); below it is the low band (1-3). */
    public static final int NORMAL_BAND_LOWEST_PRIORITY = 4;

    private static String bandSuffix(int priority) {
        if (priority >= HIGH_BAND_LOWEST_PRIORITY) {
            return ":high";
        }
        return priority >= NORMAL_BAND_LOWEST_PRIORITY ? "" : ":low";
    }

    /** The agent's dead letters, a stream: {@code agent:{id}:dlq}. */
    public static String deadLetters(AgentId agent) {
        return agentKey(agent, "dlq");
    }

    /** Messages waiting for their delivery time, scored by it (ms since epoch). */
    public static String delayed(AgentId agent) {
        return agentKey(agent, "delayed");
    }

    /** Marks a message id as sent to the agent, for the dedup window: {@code agent:{id}:dedup:<message_id>}. */
    public static String dedup(AgentId agent, MessageId messageId) {
        return agentKey(agent, "dedup:" + messageId.value());
    }

    /** Marks a message id as handled by the agent, for {@code AgentBus.idempotent}. */
    public static String processed(AgentId agent, MessageId messageId) {
        return agentKey(agent, "processed:" + messageId.value());
    }

    /** The agent's card, a hash: {@code agent:{id}:card}. */
    public static String card(AgentId agent) {
        return agentKey(agent, "card");
    }

    /** The running instances of an agent: consumer -> expiry of its latest heartbeat. */
    public static String instances(AgentId agent) {
        return agentKey(agent, "instances");
    }

    /** The agent's counters, a hash: {@code agent:{id}:counters}. */
    public static String counters(AgentId agent) {
        return agentKey(agent, "counters");
    }

    /**
     * The counters of the agent or topic that {@code key} belongs to ({@code agent:{id}:counters},
     * {@code topic:{name}:counters}): a hash of {@link WireFields#COUNTERS}, incremented by the scripts
     * that do those steps, so every process sees the same totals.
     */
    public static String counters(String key) {
        return key.substring(0, key.indexOf('}') + 1) + ":counters";
    }

    private static String agentKey(AgentId agent, String suffix) {
        return "agent:{" + agent.value() + "}:" + suffix;
    }

    /** The hash tag of a key: what stands between its first '{' and the next '}'. */
    public static String hashTag(String key) {
        int open = key.indexOf('{');
        int close = key.indexOf('}', open + 1);
        return key.substring(open + 1, close);
    }

    /** Live agents: id -> expiry of its latest heartbeat (ms since epoch). */
    public static final String LIVE_AGENTS = "agents:live";
    /** Every agent ever sent to or subscribed: the index that stats and dashboards walk instead of KEYS. */
    public static final String KNOWN_AGENTS = "agents:known";
    /** Agents that published a card. */
    public static final String CARDS = "agents:cards";
    /** The broadcast channel of presence changes. */
    public static final String PRESENCE_CHANNEL = "events:agents:presence";

    /** Agents whose card lists a capability. */
    public static String capability(String capability) {
        return "agents:capability:" + capability;
    }

    /** The set of hash tags that have an audit shard: the merge-on-read index of the audit trail. */
    public static final String AUDIT_SHARDS = "audit:shards";

    /** The audit shard of everything about {@code tag} (an agent or a topic), in its slot. */
    public static String auditMessages(String tag) {
        return "audit:messages:{" + tag + "}";
    }

    /** The decisions that agent {@code tag} recorded, in its slot. */
    public static String auditDecisions(String tag) {
        return "audit:decisions:{" + tag + "}";
    }

    /** The stream of a durable topic. */
    public static String topic(String name) {
        return "topic:{" + name + "}";
    }

    /** A consumer group's dead letters of a stream read by groups (a topic, a durable swarm event, swarm messages), in its slot. */
    public static String groupDeadLetters(String stream, String group) {
        return stream + ":dlq:" + group;
    }

    /** A consumer group's failure records of a stream read by groups, in its slot. */
    public static String groupFailures(String stream, String group) {
        return stream + ":failures:" + group;
    }

    /** The dedup marker of a message appended to a stream other than an inbox (a topic's, a swarm's). */
    public static String streamDedup(String stream, MessageId messageId) {
        return stream + ":dedup:" + messageId.value();
    }

    /** Every swarm that has had state: the index of swarm list, instead of KEYS. */
    public static final String SWARMS = "swarms";

    /** A swarm's versioned state: {@code swarm:{id}:state}. */
    public static String swarmState(String swarm) {
        return swarmKey(swarm, "state");
    }

    /** A swarm's newest checkpoints: {@code swarm:{id}:checkpoints}. */
    public static String swarmCheckpoints(String swarm) {
        return swarmKey(swarm, "checkpoints");
    }

    /** The heartbeat of a swarm's coordinator: {@code swarm:{id}:coordinator}. */
    public static String swarmCoordinator(String swarm) {
        return swarmKey(swarm, "coordinator");
    }

    /** The swarms that ever sent to {@code to}: how its receivers find their streams without KEYS. */
    public static String swarmSenders(String to) {
        return swarmKey(to, "senders");
    }

    private static String swarmKey(String swarm, String suffix) {
        return "swarm:{" + swarm + "}:" + suffix;
    }

    /** A swarm's event channel, and its stream when the type is durable (a channel and a key never clash). */
    public static String swarmEvent(String swarm, String type) {
        return "event:{" + swarm + "}:" + type;
    }

    /** The consumer group of the receiving swarm on each of its message streams. */
    public static final String MESSENGER_GROUP = "swarm";

    /** Messages from swarm {@code from} to swarm {@code to}: in the receiver's slot, with its other keys. */
    public static String swarmMessages(String from, String to) {
        return "message:" + from + ":{" + to + "}";
    }
}
