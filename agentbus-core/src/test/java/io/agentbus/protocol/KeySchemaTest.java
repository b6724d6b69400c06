package io.agentbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentId;
import io.agentbus.MessageId;
import org.junit.jupiter.api.Test;

/** The key names docs/PROTOCOL.md promises, built by {@link KeySchema}. */
class KeySchemaTest {

    private static final AgentId AGENT = AgentId.of("copywriter");

    @Test
    void inboxOfAPriorityIsItsBandStream() {
        assertThat(KeySchema.inbox(AGENT, 9)).isEqualTo("agent:{copywriter}:inbox:high");
        assertThat(KeySchema.inbox(AGENT, 7)).isEqualTo("agent:{copywriter}:inbox:high");
        assertThat(KeySchema.inbox(AGENT, 6)).isEqualTo("agent:{copywriter}:inbox");
        assertThat(KeySchema.inbox(AGENT, 4)).isEqualTo("agent:{copywriter}:inbox");
        assertThat(KeySchema.inbox(AGENT, 3)).isEqualTo("agent:{copywriter}:inbox:low");
        assertThat(KeySchema.inbox(AGENT, 1)).isEqualTo("agent:{copywriter}:inbox:low");
    }

    @Test
    void failureRecordsFollowTheBandOfTheirStream() {
        assertThat(KeySchema.failures(AGENT, 8)).isEqualTo("agent:{copywriter}:failures:high");
        assertThat(KeySchema.failures(AGENT, 5)).isEqualTo("agent:{copywriter}:failures");
        assertThat(KeySchema.failures(AGENT, 2)).isEqualTo("agent:{copywriter}:failures:low");
    }

    @Test
    void agentKeysCarryTheAgentIdAsHashTag() {
        MessageId id = MessageId.of("5b0c");

        assertThat(KeySchema.deadLetters(AGENT)).isEqualTo("agent:{copywriter}:dlq");
        assertThat(KeySchema.delayed(AGENT)).isEqualTo("agent:{copywriter}:delayed");
        assertThat(KeySchema.dedup(AGENT, id)).isEqualTo("agent:{copywriter}:dedup:5b0c");
        assertThat(KeySchema.processed(AGENT, id)).isEqualTo("agent:{copywriter}:processed:5b0c");
        assertThat(KeySchema.card(AGENT)).isEqualTo("agent:{copywriter}:card");
        assertThat(KeySchema.instances(AGENT)).isEqualTo("agent:{copywriter}:instances");
        assertThat(KeySchema.counters(AGENT)).isEqualTo("agent:{copywriter}:counters");
    }

    @Test
    void countersOfAKeyAreThoseOfItsAgentOrTopic() {
        assertThat(KeySchema.counters(KeySchema.inbox(AGENT, 9))).isEqualTo(KeySchema.counters(AGENT));
        assertThat(KeySchema.counters(KeySchema.deadLetters(AGENT))).isEqualTo(KeySchema.counters(AGENT));
        assertThat(KeySchema.counters(KeySchema.topic("launches"))).isEqualTo("topic:{launches}:counters");
    }

    @Test
    void hashTagIsWhatStandsBetweenTheFirstBraces() {
        assertThat(KeySchema.hashTag(KeySchema.inbox(AGENT, 5))).isEqualTo("copywriter");
        assertThat(KeySchema.hashTag(KeySchema.swarmMessages("research", "build")))
                .isEqualTo("build");
        assertThat(KeySchema.hashTag(KeySchema.auditMessages("launches"))).isEqualTo("launches");
    }

    @Test
    void registryKeys() {
        assertThat(KeySchema.LIVE_AGENTS).isEqualTo("agents:live");
        assertThat(KeySchema.KNOWN_AGENTS).isEqualTo("agents:known");
        assertThat(KeySchema.CARDS).isEqualTo("agents:cards");
        assertThat(KeySchema.PRESENCE_CHANNEL).isEqualTo("events:agents:presence");
        assertThat(KeySchema.capability("copy")).isEqualTo("agents:capability:copy");
    }

    @Test
    void auditKeysAreShardedByHashTag() {
        assertThat(KeySchema.AUDIT_SHARDS).isEqualTo("audit:shards");
        assertThat(KeySchema.auditMessages("copywriter")).isEqualTo("audit:messages:{copywriter}");
        assertThat(KeySchema.auditDecisions("copywriter")).isEqualTo("audit:decisions:{copywriter}");
    }

    @Test
    void topicAndGroupKeysStayInTheStreamsSlot() {
        String topic = KeySchema.topic("launches");

        assertThat(topic).isEqualTo("topic:{launches}");
        assertThat(KeySchema.groupDeadLetters(topic, "seo")).isEqualTo("topic:{launches}:dlq:seo");
        assertThat(KeySchema.groupFailures(topic, "seo")).isEqualTo("topic:{launches}:failures:seo");
        assertThat(KeySchema.streamDedup(topic, MessageId.of("5b0c"))).isEqualTo("topic:{launches}:dedup:5b0c");
    }

    @Test
    void swarmKeys() {
        assertThat(KeySchema.SWARMS).isEqualTo("swarms");
        assertThat(KeySchema.swarmState("build")).isEqualTo("swarm:{build}:state");
        assertThat(KeySchema.swarmCheckpoints("build")).isEqualTo("swarm:{build}:checkpoints");
        assertThat(KeySchema.swarmCoordinator("build")).isEqualTo("swarm:{build}:coordinator");
        assertThat(KeySchema.swarmSenders("build")).isEqualTo("swarm:{build}:senders");
        assertThat(KeySchema.swarmEvent("build", "phase")).isEqualTo("event:{build}:phase");
        assertThat(KeySchema.swarmMessages("research", "build")).isEqualTo("message:research:{build}");
    }

    @Test
    void groupNames() {
        assertThat(KeySchema.INBOX_GROUP).isEqualTo("agentbus");
        assertThat(KeySchema.MESSENGER_GROUP).isEqualTo("swarm");
    }
}
