// The swarm seed's interface on the protocol: SwarmEventBus (section 14, swarm events on
// event:{<swarm>}:<type> channels, rate limited with a bypass for priority 8-9) and
// InterSwarmMessenger (section 14a, durable messages on message:<from>:{<to>} streams read by the
// receiving swarm's group `swarm`, with a bounded history). Both interoperate with Java's
// io.agentbus.swarm (SwarmEvents, SwarmMessenger).
import { randomUUID } from 'node:crypto';
import { AgentBus } from './bus.js';
import { parsePriority, checkAgentId, checkMessageType, InvalidEnvelopeError, readEntry, encodeMessage } from './wire.js';
import { script } from './scripts.js';
import * as keys from './keys.js';

export const DEFAULT_EVENT_RATE = 1_000;
export const DEFAULT_MESSAGE_HISTORY = 100;
/** How often a receiver looks for new senders in the index (Java SwarmMessenger.SENDER_CHECK_MILLIS). */
export const SENDER_CHECK_MS = 1_000;
/** Events of this priority and above bypass the rate limit. */
const BYPASS_PRIORITY = 8;

/** A bus given (shared, not closed here) or a URL (a bus of its own, closed with its owner). */
async function openBus(redis, log) {
  if (redis instanceof AgentBus) return { bus: redis, owned: false };
  return { bus: await AgentBus.connect(redis ?? process.env.AGENTBUS_REDIS_URL ?? 'redis://127.0.0.1:6379', { log }), owned: true };
}

/** A seed priority: 'low' | 'normal' | 'high' | 'urgent' | 'critical' (any case) or 1-9. */
function seedPriority(priority) {
  return parsePriority(priority ?? 'normal');
}

export class SwarmEventBus {
  /** options: redis (URL or an AgentBus), source (the from_agent of events, default the swarm id), rate (events/s). */
  constructor(swarmId, options = {}) {
    this.swarmId = checkAgentId('swarm', swarmId);
    this.options = options;
    this.source = checkAgentId('source', options.source ?? swarmId);
    this.rate = options.rate ?? DEFAULT_EVENT_RATE;
    this.tokens = this.rate;
    this.refilledAt = Date.now();
    this.deferredQueue = [];
    this.deferredCount = 0;
    this.listenings = [];
  }

  async connect() {
    if (!this.bus) ({ bus: this.bus, owned: this.ownsBus } = await openBus(this.options.redis, this.options.log));
    return this;
  }

  /**
   * Publishes an event of eventType with data (a JSON object) on event:{swarm}:<eventType>. Over the
   * rate limit, priorities 1-7 are deferred (published in order as the rate allows) and 8-9 go at once.
   * Resolves with {outcome: 'published', id, receivers} or, deferred, {outcome: 'deferred', id} at once
   * (id: the event's message id).
   */
  async publish(eventType, data = {}, priority = 'normal') {
    await this.connect();
    const event = {
      from: this.source, to: this.swarmId, type: checkMessageType(eventType), payload: data, priority: seedPriority(priority),
      messageId: randomUUID(),
    };
    const channel = keys.swarmEvent(this.swarmId, eventType);
    this.#refill();
    if (event.priority >= BYPASS_PRIORITY || (this.deferredQueue.length === 0 && this.tokens >= 1)) {
      if (event.priority < BYPASS_PRIORITY) this.tokens -= 1;
      const { receivers } = await this.bus.publish(channel, event);
      return { outcome: 'published', id: event.messageId, receivers };
    }
    this.deferredQueue.push({ channel, event });
    this.deferredCount++;
    this.#drainLater();
    return { outcome: 'deferred', id: event.messageId };
  }

  /** Events deferred by the rate limit so far. */
  get deferred() {
    return this.deferredCount;
  }

  #refill() {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
  }

  #drainLater() {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(async () => {
      this.drainTimer = null;
      this.#refill();
      while (this.deferredQueue.length > 0 && this.tokens >= 1) {
        const { channel, event } = this.deferredQueue.shift();
        this.tokens -= 1;
        await this.bus.publish(channel, event)
          .catch((error) => this.bus.log(`deferred event on ${channel} could not be published: ${error.message}`));
      }
      if (this.deferredQueue.length > 0) this.#drainLater();
    }, Math.max(1, Math.ceil(1000 / this.rate)));
  }

  /**
   * Calls handler(event) for the swarm's events whose type matches pattern (a glob such as agent.*):
   * event {id, type, swarmId, source, data, priority, timestamp, channel, envelope (the wire fields)}. Resolves once subscribed,
   * with a listening whose close() unsubscribes.
   */
  async subscribe(pattern, handler) {
    await this.connect();
    const prefix = keys.swarmEvent(this.swarmId, '');
    const listening = await this.bus.listen(prefix + pattern, (envelope, info) => handler({
      id: envelope.message_id,
      type: info.channel.slice(prefix.length),
      swarmId: this.swarmId,
      source: envelope.from_agent,
      data: JSON.parse(envelope.payload),
      priority: Number(envelope.priority),
      timestamp: envelope.timestamp,
      channel: info.channel,
      envelope,
    }));
    this.listenings.push(listening);
    return listening;
  }

  /** Makes events of type durable: its stream event:{swarm}:<type>, a durable topic (section 14). */
  async durable(type) {
    await this.connect();
    return this.bus.durableStream(keys.swarmEvent(this.swarmId, checkMessageType(type)), this.swarmId);
  }

  /** Stops listening; publishes what was deferred; closes the bus if it is this object's own. */
  async close() {
    while (this.deferredQueue.length > 0 || this.drainTimer) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all(this.listenings.map((listening) => listening.close().catch(() => {})));
    this.listenings = [];
    if (this.ownsBus) await this.bus.close();
    this.bus = null;
  }
}

export class InterSwarmMessenger {
  /** options: redis (URL or an AgentBus), historySize (default 100), and for receiving visibilityMs, maxAttempts, backoff. */
  constructor(swarmId, options = {}) {
    this.swarmId = checkAgentId('swarm', swarmId);
    this.options = options;
    this.historySize = options.historySize ?? DEFAULT_MESSAGE_HISTORY;
    this.receivers = [];
  }

  async connect() {
    if (!this.bus) ({ bus: this.bus, owned: this.ownsBus } = await openBus(this.options.redis, this.options.log));
    return this;
  }

  /**
   * Sends message (a JSON object; its `type`, if a string, is the message type, else 'message') to
   * swarm toSwarm, once per messageId within the dedup window, then trims the pair's history to its
   * newest historySize entries (never what the receiver has not received or holds). Resolves with
   * {messageId, entryId, duplicate}.
   */
  async sendMessage(toSwarm, message, { type, priority, messageId } = {}) {
    await this.connect();
    checkAgentId('toSwarm', toSwarm);
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new InvalidEnvelopeError('payload', message, 'must be a JSON object');
    }
    const stream = keys.swarmMessages(this.swarmId, toSwarm);
    const fields = encodeMessage({
      from: this.swarmId,
      to: toSwarm,
      type: type ?? (typeof message.type === 'string' ? message.type : 'message'),
      payload: message,
      priority: priority === undefined ? undefined : seedPriority(priority),
      messageId,
    });
    const receipt = await this.bus.appendToStream(stream, fields, {
      receivers: { index: keys.swarmSenders(toSwarm), sender: this.swarmId, group: keys.MESSENGER_GROUP },
    });
    await script('trim.lua').run(this.bus.commands, [stream], [this.historySize, 0])
      .catch((error) => this.bus.log(`could not trim ${stream}: ${error.message}`));
    return receipt;
  }

  /**
   * Starts one receiving instance of this swarm: handler(message, meta) for each message of every
   * sending swarm, at least once (meta: {messageId, fromSwarm, toSwarm, type, priority, timestamp,
   * attempt, entryId, envelope (the wire fields)}). Returning acks; throwing retries, then dead-letters. Senders are found in
   * swarm:{<swarm>}:senders at start and then every second.
   */
  async onMessage(handler, options = {}) {
    await this.connect();
    const streamOf = (from) => keys.groupStream(keys.swarmMessages(from, this.swarmId), keys.MESSENGER_GROUP, '0');
    const senders = await this.#senders();
    const receiver = await this.bus.consume(senders.map(streamOf), (delivery) => handler(delivery.payload, {
      messageId: delivery.envelope.message_id,
      fromSwarm: delivery.envelope.from_agent,
      toSwarm: delivery.envelope.to_agent,
      type: delivery.envelope.message_type,
      priority: Number(delivery.envelope.priority),
      timestamp: delivery.envelope.timestamp,
      attempt: delivery.attempt,
      entryId: delivery.entryId,
      envelope: delivery.envelope,
    }), { ...this.options, ...options, group: keys.MESSENGER_GROUP });
    const findSenders = async () => {
      try {
        for (const from of await this.#senders()) await receiver.addStream(streamOf(from));
      } catch (error) {
        this.bus.log(`receiver of swarm ${this.swarmId} could not look for new senders; trying again: ${error.message}`);
      }
    };
    const timer = setInterval(findSenders, SENDER_CHECK_MS);
    const close = receiver.close.bind(receiver);
    receiver.close = async (closeOptions) => {
      clearInterval(timer);
      await close(closeOptions);
    };
    this.receivers.push(receiver);
    return receiver;
  }

  async #senders() {
    return (await this.bus.commands.sendCommand(['SMEMBERS', keys.swarmSenders(this.swarmId)])).sort();
  }

  /** Every swarm that has sent to this one. */
  async senders() {
    await this.connect();
    return this.#senders();
  }

  /**
   * The newest limit messages from fromSwarm to this swarm, oldest first (XREVRANGE): [{entryId,
   * messageId, fromSwarm, toSwarm, type, message, timestamp}]. Entries that are not valid messages are left out.
   */
  async getHistory(fromSwarm, limit = this.historySize) {
    await this.connect();
    checkAgentId('fromSwarm', fromSwarm);
    const entries = await this.bus.commands.sendCommand(['XREVRANGE', keys.swarmMessages(fromSwarm, this.swarmId),
      '+', '-', 'COUNT', String(limit)], { returnBuffers: true });
    const history = [];
    for (const [id, flat] of entries.reverse()) {
      const pairs = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      const read = readEntry(pairs, { maxFieldBytes: this.bus.options.maxPayloadBytes, now: 0 });
      if (read.verdict !== 'accepted') continue;
      const envelope = read.envelope;
      history.push({
        entryId: id.toString(),
        messageId: envelope.message_id,
        fromSwarm: envelope.from_agent,
        toSwarm: envelope.to_agent,
        type: envelope.message_type,
        message: JSON.parse(envelope.payload),
        timestamp: envelope.timestamp,
      });
    }
    return history;
  }

  /** Stops the receivers (letting handlers finish); closes the bus if it is this object's own. */
  async close() {
    await Promise.all(this.receivers.map((receiver) => receiver.close()));
    this.receivers = [];
    if (this.ownsBus) await this.bus.close();
    this.bus = null;
  }
}
