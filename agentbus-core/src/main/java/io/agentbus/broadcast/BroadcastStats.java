package io.agentbus.broadcast;

/**
 * Ephemeral broadcast figures of one bus since it connected.
 *
 * @param published  messages this bus published
 * @param unheard    of those, how many reached no subscriber (PUBLISH returned 0): lost by design;
 *                   always 0 on a cluster, where PUBLISH counts the subscribers of one node only
 * @param received   broadcasts this bus's listenings received
 * @param gaps       broadcasts this bus's listenings missed, by the publishers' sequence numbers
 * @param malformed  received broadcasts that were not valid envelopes (logged, skipped)
 */
public record BroadcastStats(long published, long unheard, long received, long gaps, long malformed) {}
