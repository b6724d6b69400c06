package io.agentbus.audit;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The audit trail: every send, delivery outcome and redrive, recorded by the same Lua script as the
 * operation (no extra round trip), and the decisions agents record themselves. Capped streams, sharded
 * by the hash tag of what they concern ({@code audit:messages:{agent}}, {@code audit:decisions:{agent}})
 * so that each record lives in the slot of its message, also on Redis Cluster; reads merge the shards.
 * Obtain it with {@link AgentBus#audit()}. Recording a decision is asynchronous; the reads and the
 * replay block (they are for operators and tools) and throw {@link io.agentbus.BusUnavailableException}
 * when Redis does not answer.
 */
public interface AuditTrail {

    /** Records an explicit decision of {@code agent}, e.g. why it escalated; {@code details} become fields. */
    CompletionStage<String> decision(AgentId agent, String decision, Map<String, String> details);

    /** The newest {@code limit} records matching {@code query}, oldest first. Blocking. */
    List<AuditEntry> tail(AuditQuery query, int limit);

    /**
     * Sends the messages of a conversation again, in their original order, into a sandbox: every agent
     * id {@code a} of the messages ({@code from_agent}, {@code to_agent}, {@code reply_to}) becomes
     * {@code <namespace>.a}, so the sandbox's inboxes ({@code agent:{<namespace>.a}:inbox}) are new and
     * production's are not touched. Run agents under the sandbox ids to re-run the conversation.
     * Uses the {@code sent} records, which hold whole messages; records beyond the audit cap are gone.
     *
     * @return how many messages were sent into the sandbox
     */
    int replay(String conversationId, String namespace);

    /** Like {@link #tail}, for the records after audit id {@code afterId} in each shard: for following. */
    List<AuditEntry> after(AuditQuery query, Map<String, String> afterIdByShard, int limit);
}
