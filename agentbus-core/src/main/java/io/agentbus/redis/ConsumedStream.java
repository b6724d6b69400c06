package io.agentbus.redis;

import io.agentbus.AgentId;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.protocol.KeySchema;
import java.util.Arrays;
import java.util.List;

/**
 * A stream read through a consumer group, with the keys that go with it: an agent's inbox (group
 * {@code agentbus}), a durable topic read by one subscriber group, or a swarm's messages from another. Everything that delivers,
 * settles, reclaims and dead-letters works on this, so a topic reuses the inbox machinery.
 *
 * @param key         the stream
 * @param group       the consumer group
 * @param deadLetters its dead-letter stream, in the same hash slot
 * @param failures    its failure records, in the same hash slot
 * @param subscriber  the agent (or subscriber group) the messages are for
 * @param startId     where a newly created group starts: {@code 0} (the oldest entry) or {@code $} (now)
 * @param rank        its priority band's rank: what an instance reads from a higher rank it handles first
 */
record ConsumedStream(
        String key, String group, String deadLetters, String failures, AgentId subscriber, String startId, int rank) {

    /** The normal-band inbox stream of {@code agent}. */
    static ConsumedStream inbox(AgentId agent) {
        return inbox(agent, PriorityBand.NORMAL);
    }

    static ConsumedStream inbox(AgentId agent, PriorityBand band) {
        return new ConsumedStream(
                band.inbox(agent),
                KeySchema.INBOX_GROUP,
                KeySchema.deadLetters(agent),
                band.failures(agent),
                agent,
                "0",
                band.rank());
    }

    /** Every band of {@code agent}'s inbox, highest first. */
    static List<ConsumedStream> inboxBands(AgentId agent) {
        return Arrays.stream(PriorityBand.values())
                .map(band -> inbox(agent, band))
                .toList();
    }

    /** A stream read by subscriber groups: a durable topic, or a durable swarm event type. */
    static ConsumedStream topic(String key, AgentId group, DurableTopic.StartFrom from) {
        return new ConsumedStream(
                key,
                group.value(),
                KeySchema.groupDeadLetters(key, group.value()),
                KeySchema.groupFailures(key, group.value()),
                group,
                from == DurableTopic.StartFrom.OLDEST ? "0" : "$",
                0);
    }

    /** The messages of swarm {@code from} to swarm {@code to}, read by {@code to}'s group from the first. */
    static ConsumedStream swarmMessages(String from, String to) {
        String key = KeySchema.swarmMessages(from, to);
        return new ConsumedStream(
                key,
                KeySchema.MESSENGER_GROUP,
                KeySchema.groupDeadLetters(key, KeySchema.MESSENGER_GROUP),
                KeySchema.groupFailures(key, KeySchema.MESSENGER_GROUP),
                AgentId.of(to),
                "0",
                0);
    }

    @Override
    public String toString() {
        return key + " (group " + group + ")";
    }
}
