package io.agentbus;

/**
 * What a completed send reports: the message is appended to the recipient's inbox.
 *
 * @param messageId the message's id
 * @param to        the recipient
 * @param entryId   the id Redis gave the inbox stream entry
 */
public record SendReceipt(MessageId messageId, AgentId to, String entryId) {
}
