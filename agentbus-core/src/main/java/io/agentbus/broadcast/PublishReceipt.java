package io.agentbus.broadcast;

import io.agentbus.MessageId;

/**
 * What an ephemeral publish reports.
 *
 * @param messageId the message's id
 * @param channel   the channel
 * @param sequence  this publisher's sequence number on the channel, from 1
 * @param receivers how many subscribed connections Redis handed it to (one per listening bus, however
 *                  many listenings it has); 0 means nobody listened, and the message is gone (counted in
 *                  {@link BroadcastStats#unheard()}); on a cluster, only the subscribers of the node
 *                  that ran the {@code PUBLISH}, which the cluster forwards to every other node, so
 *                  there 0 does not mean that nobody heard, and nothing is counted as unheard
 */
public record PublishReceipt(MessageId messageId, String channel, long sequence, long receivers) {}
