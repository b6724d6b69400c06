package io.agentbus.testkit;

import io.agentbus.AgentId;
import java.util.UUID;

/**
 * Names no other test has used, so that tests sharing one server (one per class, see
 * {@link RedisServerExtension}) never see each other's inboxes, topics or swarms, whatever order they
 * run in.
 *
 * <pre>{@code
 * AgentId worker = TestIds.freshAgent("worker");   // worker-1f3a9c02
 * }</pre>
 */
public final class TestIds {

    private TestIds() {}

    /** An agent id made of {@code role}, a dash and eight random hex digits. */
    public static AgentId freshAgent(String role) {
        return AgentId.of(freshName(role));
    }

    /** {@code prefix}, a dash and eight random hex digits: for topics, swarms and conversations. */
    public static String freshName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
