package io.agentbus;

/**
 * What a completed send reports: the message is in the recipient's inbox, exactly once.
 *
 * @param messageId the message's id
 * @param to        the recipient
 * @param entryId   the id Redis gave the inbox stream entry (for a duplicate: the first send's entry)
 * @param duplicate whether a message with this id was already sent to this agent within the dedup
 *                  window, in which case nothing new was stored
 */
public record SendReceipt(MessageId messageId, AgentId to, String entryId, boolean duplicate) {}
