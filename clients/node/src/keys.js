// The key names of docs/PROTOCOL.md section 2 (agents), 8 (topics), 11 (audit), 12 (presence) and
// 14/14a (swarms). Every key of one agent, topic or receiving swarm holds its name as the hash tag.

export const INBOX_GROUP = 'agentbus';
export const MESSENGER_GROUP = 'swarm';
export const KNOWN_AGENTS = 'agents:known';
export const LIVE_AGENTS = 'agents:live';
export const AUDIT_SHARDS = 'audit:shards';
export const PRESENCE_CHANNEL = 'events:agents:presence';

const BAND_SUFFIX = { high: ':high', normal: '', low: ':low' };
/** The bands in the order a consumer reads them: highest first. */
export const BANDS = ['high', 'normal', 'low'];

export const inbox = (agent, band = 'normal') => `agent:{${agent}}:inbox${BAND_SUFFIX[band]}`;
export const failures = (agent, band = 'normal') => `agent:{${agent}}:failures${BAND_SUFFIX[band]}`;
export const deadLetters = (agent) => `agent:{${agent}}:dlq`;
export const delayed = (agent) => `agent:{${agent}}:delayed`;
export const dedup = (agent, messageId) => `agent:{${agent}}:dedup:${messageId}`;
export const instances = (agent) => `agent:{${agent}}:instances`;

/** The counters of the agent, topic or swarm pair a key belongs to: what stands up to its hash tag, then :counters. */
export const countersOf = (key) => `${key.slice(0, key.indexOf('}') + 1)}:counters`;
/** The hash tag of a key: what stands between its first '{' and the next '}'. */
export function hashTag(key) {
  const open = key.indexOf('{');
  return key.slice(open + 1, key.indexOf('}', open + 1));
}
export const auditMessages = (tag) => `audit:messages:{${tag}}`;

export const topic = (name) => `topic:{${name}}`;
export const groupDeadLetters = (stream, group) => `${stream}:dlq:${group}`;
export const groupFailures = (stream, group) => `${stream}:failures:${group}`;
export const streamDedup = (stream, messageId) => `${stream}:dedup:${messageId}`;

export const swarmEvent = (swarm, type) => `event:{${swarm}}:${type}`;
export const swarmMessages = (from, to) => `message:${from}:{${to}}`;
export const swarmSenders = (to) => `swarm:{${to}}:senders`;

/**
 * A stream that a consumer group reads, with the keys its settling steps write (sections 5, 6, 8,
 * 14a): an inbox band, a durable topic or swarm event type for one group, or a swarm pair's messages.
 */
export function inboxBand(agent, band) {
  return {
    key: inbox(agent, band), group: INBOX_GROUP, startId: '0', deadLetters: deadLetters(agent),
    failures: failures(agent, band), counters: countersOf(inbox(agent, band)), isInbox: true,
  };
}

export function groupStream(key, group, startId) {
  return {
    key, group, startId, deadLetters: groupDeadLetters(key, group), failures: groupFailures(key, group),
    counters: countersOf(key), isInbox: false,
  };
}
