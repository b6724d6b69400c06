// The bus: one shared command connection (never blocked), a connection per running consumer for its
// blocking reads, and one pub/sub connection opened on the first listen. Sending, request/reply,
// durable topics and broadcast follow docs/PROTOCOL.md sections 4, 7, 8 and 9.
import { createClient } from 'redis';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { script } from './scripts.js';
import { encodeMessage, decodeText, bandOf, checkAgentId } from './wire.js';
import { StreamConsumer, withTimeout, DEFAULT_INBOX_RETENTION } from './consumer.js';
import { NoRespondersError, RequestTimeoutError, InboxFullError } from './errors.js';
import * as keys from './keys.js';

export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000;
export const DEFAULT_AUDIT_CAP = 100_000;
export const DEFAULT_MAX_INBOX_LENGTH = 1_000_000;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_TOPIC_RETENTION = 100_000;
const LATE_REPLIES_REMEMBERED = 10_000;
const GLOB = /[*?[]/;

export class AgentBus {
  /**
   * Connects to url (redis://[:password@]host:port). options: dedupWindowMs, auditCap (0: no audit
   * records), maxInboxLength, maxPayloadBytes, inboxRetention, log(message) for diagnostics (stderr).
   */
  static async connect(url, options = {}) {
    const bus = new AgentBus(url, options);
    await bus.commands.connect();
    return bus;
  }

  constructor(url, options = {}) {
    this.url = url;
    this.options = {
      dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
      auditCap: DEFAULT_AUDIT_CAP,
      maxInboxLength: DEFAULT_MAX_INBOX_LENGTH,
      maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
      inboxRetention: DEFAULT_INBOX_RETENTION,
      ...options,
    };
    this.log = options.log ?? ((message) => process.stderr.write(`agentbus: ${message}\n`));
    this.commands = createClient({ url });
    this.commands.on('error', (error) => this.log(`connection: ${error.message}`));
    this.publisherId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.consumers = new Set();
    this.knownAgents = new Set();
    this.knownShards = new Set();
    this.pending = new Map();
    this.lateReplies = new Set();
    this.sequences = new Map();
    this.listenings = new Map();
    this.subscribedAgents = new Set();
  }

  /**
   * Sends a message (wire.js encodeMessage: from, to, type, payload, priority, messageId, ...) to its
   * recipient's inbox band; with delayMs > 0 it waits in the delayed set until due (schedule.lua).
   * Resolves with {messageId, entryId (null when delayed), duplicate}.
   */
  async send(message, { delayMs = 0 } = {}) {
    const fields = encodeMessage(message);
    this.#checkSize(fields);
    this.#know(fields.to_agent);
    if (delayMs > 0) return this.#schedule(fields, Date.now() + delayMs);
    return this.#append(keys.inbox(fields.to_agent, bandOf(Number(fields.priority))),
      keys.dedup(fields.to_agent, fields.message_id), fields, { maxLength: this.options.maxInboxLength });
  }

  async #schedule(fields, dueAt) {
    const [stored, first] = await script('schedule.lua').run(this.commands,
      [keys.delayed(fields.to_agent), keys.dedup(fields.to_agent, fields.message_id), keys.countersOf(keys.inbox(fields.to_agent))],
      [this.options.dedupWindowMs, dueAt, JSON.stringify(fields)]);
    return { messageId: fields.message_id, entryId: stored === 1 ? null : nullIfDelayed(first), duplicate: stored === 0 };
  }

  /** send.lua on any stream: an inbox band, a topic, a swarm pair (receivers: {index, sender, group}). */
  async #append(stream, dedupKey, fields, { requiredGroup = '', maxLength = 0, receivers = null } = {}) {
    const keyList = [stream, dedupKey, this.auditShard(stream), keys.countersOf(stream)];
    const args = [this.options.dedupWindowMs, requiredGroup, maxLength, this.options.auditCap];
    if (receivers) {
      keyList.push(receivers.index);
      args.push(receivers.sender, receivers.group);
    }
    for (const [name, value] of Object.entries(fields)) args.push(name, value);
    const [outcome, entryId] = await script('send.lua').run(this.commands, keyList, args);
    if (outcome === -1) throw new NoRespondersError(`no responders: ${fields.to_agent} never had a running instance`);
    if (outcome === -2) throw new InboxFullError(`${stream} holds ${maxLength} entries, its cap: nothing was stored`);
    return { messageId: fields.message_id, entryId, duplicate: outcome === 0 };
  }

  #checkSize(fields) {
    const bytes = Buffer.byteLength(fields.payload, 'utf8');
    if (bytes > this.options.maxPayloadBytes) {
      throw new RangeError(`payload is ${bytes} bytes, more than maxPayloadBytes ${this.options.maxPayloadBytes}`);
    }
  }

  /** SADD agents:known once per process per agent (section 2). */
  #know(agent) {
    if (this.knownAgents.has(agent)) return;
    this.knownAgents.add(agent);
    this.commands.sendCommand(['SADD', keys.KNOWN_AGENTS, agent]).catch((error) => {
      this.knownAgents.delete(agent);
      this.log(`could not add ${agent} to ${keys.KNOWN_AGENTS}: ${error.message}`);
    });
  }

  /** The audit shard of a stream's records; its tag joins audit:shards on first use in this process (section 11). */
  auditShard(streamKey) {
    const tag = keys.hashTag(streamKey);
    if (this.options.auditCap > 0 && !this.knownShards.has(tag)) {
      this.knownShards.add(tag);
      this.commands.sendCommand(['SADD', keys.AUDIT_SHARDS, tag]).catch((error) => {
        this.knownShards.delete(tag);
        this.log(`could not list audit shard ${tag}; its next record tries again: ${error.message}`);
      });
    }
    return keys.auditMessages(tag);
  }

  /**
   * Runs one instance of agent: handler(delivery) for each message, at least once. Returning acks;
   * throwing retries after the backoff, then dead-letters (see consumer.js). options: visibilityMs,
   * maxAttempts, backoff {baseMs, maxMs}, readBlockMs, onReady. Resolves with the running consumer
   * once its groups exist and its first read is issued; close() it to stop.
   */
  async subscribe(agent, handler, options = {}) {
    checkAgentId('agent', agent);
    const bands = keys.BANDS.map((band) => keys.inboxBand(agent, band));
    const consumer = new StreamConsumer(this, bands, handler, {
      ...options,
      agent,
      intercept: (envelope, entryId, attempt) => this.#completeRequest(envelope, entryId, attempt),
    });
    this.#know(agent);
    this.subscribedAgents.add(agent);
    return this.#run(consumer);
  }

  async #run(consumer) {
    this.consumers.add(consumer);
    const close = consumer.close.bind(consumer);
    consumer.close = async (options) => {
      this.consumers.delete(consumer);
      await close(options);
    };
    await consumer.start();
    return consumer;
  }

  /** A responder (section 7): answers each request with what respond(delivery) returns, as `<type>.reply`. */
  serve(agent, respond, options = {}) {
    return this.subscribe(agent, async (delivery) => {
      const payload = await respond(delivery);
      await delivery.reply(`${delivery.envelope.message_type}.reply`, payload ?? {});
    }, options);
  }

  /** Sends a reply from agent to request (an envelope as read): to reply_to or from_agent, correlated by message id. */
  reply(agent, request, type, payload) {
    const message = {
      from: agent,
      to: request.reply_to ?? request.from_agent,
      type,
      payload,
      correlationId: request.message_id,
      conversationId: request.conversation_id,
      extensions: {},
    };
    // The reply continues the request's trace (section 3).
    if (request.traceparent !== undefined) message.extensions.traceparent = request.traceparent;
    if (request.tracestate !== undefined) message.extensions.tracestate = request.tracestate;
    const fields = encodeMessage(message);
    this.#checkSize(fields);
    return this.#append(keys.inbox(fields.to_agent, bandOf(Number(fields.priority))),
      keys.dedup(fields.to_agent, fields.message_id), fields, { maxLength: this.options.maxInboxLength });
  }

  /**
   * Sends a request and resolves with its reply {envelope, entryId, attempt}. This bus must run an
   * instance of the requester (message.from, or message.replyTo): the reply comes to its inbox.
   * Rejects with NoRespondersError at once when the recipient never listened, RequestTimeoutError
   * after timeoutMs.
   */
  async request(message, { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS } = {}) {
    const replyTo = message.replyTo ?? message.from;
    if (!this.subscribedAgents.has(replyTo)) {
      throw new Error(`request: subscribe ${replyTo} on this bus first, its inbox receives the reply`);
    }
    const fields = encodeMessage({ ...message, replyTo });
    this.#checkSize(fields);
    this.#know(fields.to_agent);
    const id = fields.message_id;
    const reply = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.#rememberLate(id);
        reject(new RequestTimeoutError(`no reply to ${id} from ${fields.to_agent} within ${timeoutMs} ms; `
          + 'it may still be handled'));
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    try {
      await this.#append(keys.inbox(fields.to_agent, bandOf(Number(fields.priority))), keys.dedup(fields.to_agent, id),
        fields, { requiredGroup: keys.INBOX_GROUP, maxLength: this.options.maxInboxLength });
    } catch (error) {
      clearTimeout(this.pending.get(id)?.timer);
      this.pending.delete(id);
      throw error;
    }
    return reply;
  }

  #rememberLate(id) {
    this.lateReplies.add(id);
    if (this.lateReplies.size > LATE_REPLIES_REMEMBERED) this.lateReplies.delete(this.lateReplies.values().next().value);
  }

  /** True for a reply this bus awaits or awaited: then it is acked without reaching the handler. */
  #completeRequest(envelope, entryId, attempt) {
    const id = envelope.correlation_id;
    if (id === undefined) return false;
    const waiting = this.pending.get(id);
    if (waiting) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.resolve({ envelope, entryId, attempt, payload: JSON.parse(envelope.payload) });
      return true;
    }
    if (this.lateReplies.delete(id)) {
      this.log(`reply ${envelope.message_id} to ${id} came after its request timed out; acknowledged, not delivered`);
      return true;
    }
    return false;
  }

  /** A durable topic (section 8): every subscriber group gets every message. */
  topic(name) {
    checkAgentId('topic', name);
    return new DurableTopic(this, keys.topic(name), name);
  }

  /** A durable stream read by groups (a topic, a swarm's durable event type) at key; see DurableTopic. */
  durableStream(key, defaultRecipient) {
    return new DurableTopic(this, key, defaultRecipient);
  }

  /** Appends to a stream read by groups, once per message id (used by topics and the swarm messenger). */
  appendToStream(stream, fields, options) {
    this.#checkSize(fields);
    return this.#append(stream, keys.streamDedup(stream, fields.message_id), fields, options);
  }

  /** Runs one instance of a group over streams (descriptors of keys.js); see subscribe for the options. */
  consume(streams, handler, options = {}) {
    return this.#run(new StreamConsumer(this, streams, handler, options));
  }

  /**
   * Ephemeral broadcast (section 9): PUBLISH of the message's wire fields as one JSON object, with
   * this bus's publisher id and its sequence number on the channel. Resolves with {receivers, sequence}.
   */
  async publish(channel, message) {
    checkChannel(channel);
    const fields = encodeMessage(message);
    this.#checkSize(fields);
    const sequence = (this.sequences.get(channel) ?? 0) + 1;
    this.sequences.set(channel, sequence);
    const json = JSON.stringify({ ...fields, publisher: this.publisherId, sequence: String(sequence) });
    const receivers = await this.commands.sendCommand(['PUBLISH', channel, json]);
    return { receivers, sequence, messageId: fields.message_id };
  }

  /**
   * Listens to a channel, or a glob pattern (PSUBSCRIBE). handler(envelope, info) with info {channel,
   * publisher, sequence, missed (this listening's count of skipped sequence numbers so far)}.
   * Resolves once subscribed with a listening whose close() unsubscribes.
   */
  async listen(channelOrPattern, handler) {
    checkChannel(channelOrPattern);
    if (!this.pubsub) {
      this.pubsub = this.commands.duplicate();
      this.pubsub.on('error', (error) => this.log(`pub/sub connection: ${error.message}`));
      await this.pubsub.connect();
    }
    const listening = new Listening(this, channelOrPattern, handler);
    const listener = (text, channel) => listening.receive(text, channel);
    if (GLOB.test(channelOrPattern)) await this.pubsub.pSubscribe(channelOrPattern, listener);
    else await this.pubsub.subscribe(channelOrPattern, listener);
    listening.unsubscribe = () => (GLOB.test(channelOrPattern)
      ? this.pubsub.pUnsubscribe(channelOrPattern, listener) : this.pubsub.unsubscribe(channelOrPattern, listener));
    return listening;
  }

  /** The agent's dead letters, oldest first: [{entryId, fields}] with the original and dlq_ fields. */
  async deadLetters(agent, { count = 1000 } = {}) {
    return this.readStream(keys.deadLetters(checkAgentId('agent', agent)), { count });
  }

  /** Entries of a stream, oldest first (XRANGE) or newest first with newest: true (XREVRANGE). */
  async readStream(key, { count = 100, newest = false, after } = {}) {
    const command = newest ? ['XREVRANGE', key, '+', '-'] : ['XRANGE', key, after ? `(${after}` : '-', '+'];
    const entries = await this.commands.sendCommand([...command, 'COUNT', String(count)]);
    return entries.map(([entryId, flat]) => {
      const fields = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      return { entryId, fields };
    });
  }

  /** Stops every consumer (letting handlers finish), then closes the connections. */
  async close() {
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    await withTimeout(this.pubsub?.disconnect() ?? Promise.resolve(), 1000);
    await this.commands.quit().catch(() => this.commands.disconnect().catch(() => {}));
  }
}

/** One listen: decodes broadcasts, counts per publisher the sequence numbers it skipped. */
class Listening {
  constructor(bus, subscribedAs, handler) {
    this.bus = bus;
    this.subscribedAs = subscribedAs;
    this.handler = handler;
    this.lastSequence = new Map();
    this.received = 0;
    this.missed = 0;
    this.malformed = 0;
  }

  receive(text, channel) {
    const fields = new Map();
    try {
      const parsed = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      for (const [name, value] of Object.entries(parsed)) {
        if (value !== null && typeof value === 'object') throw new Error(`field ${name} is not a string`);
        if (value !== null) fields.set(name, String(value));
      }
    } catch (error) {
      this.malformed++;
      this.bus.log(`broadcast on ${channel} is not a JSON object of strings; skipped: ${error.message}`);
      return;
    }
    const publisher = fields.get('publisher');
    const sequence = Number(fields.get('sequence'));
    fields.delete('publisher');
    fields.delete('sequence');
    const decoded = decodeText(fields);
    if (decoded.verdict !== 'accepted') {
      this.malformed++;
      this.bus.log(`broadcast on ${channel} is not a valid envelope (${decoded.reason} ${decoded.field}); skipped`);
      return;
    }
    const counter = `${publisher}\n${channel}`;
    if (publisher !== undefined && Number.isSafeInteger(sequence)) {
      const last = this.lastSequence.get(counter);
      if (last !== undefined && sequence > last + 1) this.missed += sequence - last - 1;
      if (last === undefined || sequence > last) this.lastSequence.set(counter, sequence);
    }
    this.received++;
    try {
      const result = this.handler(decoded.envelope, { channel, publisher, sequence, missed: this.missed });
      Promise.resolve(result).catch((error) => this.bus.log(`listener of ${this.subscribedAs} failed: ${error.message}`));
    } catch (error) {
      this.bus.log(`listener of ${this.subscribedAs} failed: ${error.message}`);
    }
  }

  async close() {
    await this.unsubscribe();
  }
}

/**
 * A stream read by consumer groups (section 8): a durable topic, or a swarm's durable event type.
 * Publishing is send.lua with the stream's dedup key; it is trimmed to its retention every 1,000
 * publishes, never past what a group has not received or holds.
 */
export class DurableTopic {
  constructor(bus, key, defaultRecipient, { retention = DEFAULT_TOPIC_RETENTION } = {}) {
    this.bus = bus;
    this.key = key;
    this.defaultRecipient = defaultRecipient;
    this.retention = retention;
    this.publishes = 0;
  }

  /** Resolves with {messageId, entryId, duplicate}. to defaults to the topic's name. */
  async publish(message) {
    const fields = encodeMessage({ to: this.defaultRecipient, ...message });
    const receipt = await this.bus.appendToStream(this.key, fields);
    if (++this.publishes % 1000 === 0) await this.trim();
    return receipt;
  }

  trim() {
    return script('trim.lua').run(this.bus.commands, [this.key], [this.retention, 0]);
  }

  /** One instance of subscriber group (an agent id); the group starts at new messages, or the oldest with fromStart. */
  subscribe(group, handler, { fromStart = false, ...options } = {}) {
    checkAgentId('group', group);
    return this.bus.consume([keys.groupStream(this.key, group, fromStart ? '0' : '$')], handler, options);
  }
}

function checkChannel(channel) {
  if (typeof channel !== 'string' || !/^[!-~]{1,256}$/.test(channel)) {
    throw new RangeError(`channel must be 1-256 printable ASCII characters without spaces, was ${JSON.stringify(channel)}`);
  }
}

function nullIfDelayed(first) {
  return first === 'delayed' ? null : first;
}
