// One running instance of a consumer group over one or more streams: an agent's three inbox bands
// (group agentbus), a durable topic's group, or a receiving swarm's message streams (group swarm).
// docs/PROTOCOL.md sections 5, 5a and 6 are its specification.
//
// Reading. One loop, on a connection of its own (XREADGROUP BLOCK blocks it; the shared command
// connection never carries a blocking command), reads every stream in one call, highest band first,
// and handles what it read in that order, one entry at a time. Between reads it reclaims: claim.lua
// walks XAUTOCLAIM over entries idle longer than the visibility timeout (their consumer died, or a
// retry's delay has passed) and hands them to the same path with their delivery count as the attempt.
//
// Settling. A handler that returns acks (ack.lua, counted and audited); one that throws is retried
// after the backoff (retry_later.lua sets the entry's idle time to visibility - delay, so the reclaim
// takes it again then) until the last attempt, which dead-letters it (dead_letter.lua), as does
// NonRetryableError or delivery.deadLetter(reason). An entry that is no envelope is dead-lettered
// unhandled with the verdict of readEntry (wire.js). Nothing is acked before it is settled.
//
// Timers, on the command connection: lease extension of the entry being handled (extend_lease.lua,
// every visibility / 3, so a slow handler keeps it), and for an agent the heartbeat (presence.lua),
// delayed delivery (move_due.lua) and the sweep of dead consumers (release_consumer.lua).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { script } from './scripts.js';
import { readEntry, AUDITED_FIELDS } from './wire.js';
import { NonRetryableError } from './errors.js';
import * as keys from './keys.js';

export const DEFAULT_VISIBILITY_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };
export const DEFAULT_MAX_LEASE_EXTENSION_MS = 30 * 60_000;
export const DEFAULT_READ_BATCH = 100;
export const DEFAULT_READ_BLOCK_MS = 1_000;
export const DEFAULT_INBOX_RETENTION = 10_000;
export const DEFAULT_PRESENCE_HEARTBEAT_MS = 5_000;
export const DEFAULT_PRESENCE_TTL_MS = 15_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const TRIM_EVERY = 1_000;
const MOVE_CHECK_MS = 1_000;
const MOVE_BATCH = 100;
const CLAIM_BYTE_BUDGET = 8 * 1024 * 1024;
const MAX_DETAIL = 500;

/** A consumer name unique to the instance, as the Java library forms it: host-pid-random. */
export function consumerName() {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Exponential backoff with full jitter: a random delay up to min(max, base * 2^(attempt-1)). */
export function backoffDelay(attempt, { baseMs, maxMs }) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(Math.random() * (ceiling + 1));
}

const text = (part) => (Buffer.isBuffer(part) ? part.toString('utf8') : String(part));

/** What a handler gets: the message, its attempt, and the verbs that settle it otherwise than by returning. */
export class Delivery {
  #owner;

  constructor(owner, stream, entryId, attempt, envelope) {
    this.#owner = owner;
    this.stream = stream.key;
    this.entryId = entryId;
    this.attempt = attempt;
    /** The message's normalised wire fields (strings), as readEntry gives them. */
    this.envelope = envelope;
    /** The payload, parsed. */
    this.payload = JSON.parse(envelope.payload);
    this.choice = null;
  }

  /** Retry after delayMs instead of acking when the handler returns (counts as a failed attempt). */
  retryIn(delayMs) {
    this.choice = { retryMs: delayMs };
  }

  /** Move to dead letters (reason rejected, the detail given) instead of acking when the handler returns. */
  deadLetter(reason) {
    this.choice = { reject: String(reason) };
  }

  /** Resets this entry's lease now (a handler that knows it will be long may call it; the timer does too). */
  extendLease() {
    return this.#owner.extendLeases([this.entryId], this.stream);
  }

  /** Replies per section 7 (to reply_to, else from_agent; correlation_id = this message's id). */
  reply(type, payload) {
    return this.#owner.bus.reply(this.#owner.agent ?? this.envelope.to_agent, this.envelope, type, payload);
  }
}

export class StreamConsumer {
  /**
   * bus: the AgentBus; streams: stream descriptors of keys.js sharing one group; handler(delivery);
   * options: visibilityMs, maxAttempts, backoff {baseMs, maxMs}, readBatch, readBlockMs, maxFieldBytes,
   * agent (an agent id: then it heartbeats, moves delayed messages, trims and sweeps), intercept(envelope)
   * (true: acked without the handler, e.g. a reply awaited by a request), onReady().
   */
  constructor(bus, streams, handler, options = {}) {
    this.bus = bus;
    this.streams = new Map(streams.map((stream) => [stream.key, stream]));
    this.group = streams[0]?.group ?? options.group;
    this.handler = handler;
    this.consumer = consumerName();
    this.agent = options.agent;
    this.visibilityMs = options.visibilityMs ?? DEFAULT_VISIBILITY_MS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.readBatch = options.readBatch ?? DEFAULT_READ_BATCH;
    this.readBlockMs = options.readBlockMs ?? DEFAULT_READ_BLOCK_MS;
    this.maxFieldBytes = options.maxFieldBytes ?? bus.options.maxPayloadBytes;
    this.maxLeaseExtensionMs = options.maxLeaseExtensionMs ?? DEFAULT_MAX_LEASE_EXTENSION_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_PRESENCE_HEARTBEAT_MS;
    this.presenceTtlMs = options.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.intercept = options.intercept ?? (() => false);
    this.onReady = options.onReady ?? (() => {});
    /** Entries being handled, by stream key then entry id, with when they were read: the leases kept. */
    this.held = new Map();
    this.ackedSinceTrim = new Map();
    this.timers = [];
    this.closing = false;
    this.recoverOwn = false;
    this.nextReclaimAt = 0;
    this.log = bus.log;
  }

  get commands() {
    return this.bus.commands;
  }

  /** Creates the groups, registers, starts reading; resolves once the first read is issued. */
  async start() {
    for (const stream of this.streams.values()) await this.#ensureConsumer(stream);
    this.reader = this.commands.duplicate();
    this.reader.on('error', (error) => {
      if (!this.closing) this.log(`read connection of ${this.consumer}: ${error.message}`);
    });
    await this.reader.connect();
    this.readerId = await this.reader.sendCommand(['CLIENT', 'ID']);
    if (this.agent) {
      await this.#heartbeat();
      this.#every(this.heartbeatMs, () => this.#heartbeat());
      this.#scheduleMoveDue(0);
      const sweepEvery = 5 * this.visibilityMs;
      const first = setTimeout(() => {
        this.#sweepConsumers();
        this.#every(sweepEvery, () => this.#sweepConsumers());
      }, Math.floor(Math.random() * sweepEvery));
      this.timers.push(first);
    }
    this.#every(Math.max(10, Math.floor(this.visibilityMs / 3)), () => this.#extendHeldLeases());
    let ready;
    const readyNow = new Promise((resolve) => { ready = resolve; });
    this.done = this.#loop(ready);
    await readyNow;
  }

  /** Adds a stream of the same group to read (a new sender of a receiving swarm). */
  async addStream(stream) {
    if (this.streams.has(stream.key)) return;
    await this.#ensureConsumer(stream);
    this.streams.set(stream.key, stream);
  }

  async #ensureConsumer(stream) {
    try {
      await this.commands.sendCommand(['XGROUP', 'CREATE', stream.key, stream.group, stream.startId, 'MKSTREAM']);
    } catch (error) {
      if (!String(error.message).startsWith('BUSYGROUP')) throw error;
    }
    await this.commands.sendCommand(['XGROUP', 'CREATECONSUMER', stream.key, stream.group, this.consumer]);
  }

  async #loop(ready) {
    let first = true;
    while (!this.closing) {
      try {
        if (this.recoverOwn || Date.now() >= this.nextReclaimAt) await this.#reclaim();
        const streams = [...this.streams.values()];
        if (streams.length === 0) {
          // A receiving swarm before its first sender: nothing to read yet (addStream adds them).
          if (first) {
            first = false;
            ready();
          }
          await sleep(Math.min(this.readBlockMs, 200));
          continue;
        }
        // Not past the next reclaim: a retry's delay may end before the block would.
        const blockMs = Math.max(1, Math.min(this.readBlockMs, Math.ceil(this.nextReclaimAt - Date.now())));
        this.reading = true;
        const reading = this.reader.sendCommand(['XREADGROUP', 'GROUP', this.group, this.consumer,
          'COUNT', String(this.readBatch), 'BLOCK', String(blockMs),
          'STREAMS', ...streams.map((s) => s.key), ...streams.map(() => '>')], { returnBuffers: true });
        if (first) {
          first = false;
          ready();
        }
        const reply = await reading.finally(() => { this.reading = false; });
        if (!reply) continue;
        // Handle by band order (the order of STREAMS), whatever order the reply lists them in.
        const order = streams.map((s) => s.key);
        const byStream = reply.map(([key, entries]) => [text(key), entries])
          .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
        for (const [key, entries] of byStream) {
          for (const [id, fields] of entries) {
            if (fields === null) continue; // deleted between the XADD and the read
            await this.#take(this.streams.get(key), text(id), 1, fields);
          }
        }
      } catch (error) {
        if (first) {
          first = false;
          ready();
        }
        if (this.closing) break;
        if (String(error.message).includes('NOGROUP')) {
          this.log(`a group of ${this.consumer} is gone (NOGROUP): creating it again`);
          for (const stream of this.streams.values()) await this.#ensureConsumer(stream).catch(() => {});
        } else {
          // The reply to a read may have been lost with the connection: its entries sit pending under us.
          this.recoverOwn = true;
          this.log(`read of ${this.consumer} failed, reading again: ${error.message}`);
          await sleep(200);
        }
      }
    }
  }

  /** One walk over the streams: own pending entries after a failed read, else entries idle past visibility. */
  async #reclaim() {
    const mode = this.recoverOwn ? 'own' : 'idle';
    this.recoverOwn = false;
    this.nextReclaimAt = Date.now() + this.visibilityMs / 4;
    const largest = this.maxFieldBytes + 64 * 1024;
    for (const stream of [...this.streams.values()]) {
      let cursor = '0-0';
      do {
        const [next, , entries, tooLarge] = await script('claim.lua').run(this.commands, [stream.key],
          [this.group, this.consumer, mode, cursor, this.readBatch, this.visibilityMs, CLAIM_BYTE_BUDGET, largest],
          { returnBuffers: true });
        cursor = text(next);
        for (const [id, deliveries, fields] of entries) {
          await this.#take(stream, text(id), Number(deliveries), fields);
        }
        for (const [id, deliveries, bytes] of tooLarge) {
          await this.#deadLetter(stream, text(id), 'too_large', '',
            `the entry has ${bytes} bytes; a reader takes at most ${largest}`, Number(deliveries));
        }
      } while (cursor !== '0-0' && !this.closing);
    }
  }

  /** Reads, handles and settles one entry delivered for the deliveries-th time. */
  async #take(stream, entryId, deliveries, flatFields) {
    const heldHere = this.#heldOf(stream.key);
    if (heldHere.has(entryId)) return; // reclaimed from ourselves while handling it: the claim renewed the lease
    const pairs = [];
    for (let i = 0; i < flatFields.length; i += 2) pairs.push([flatFields[i], flatFields[i + 1]]);
    const read = readEntry(pairs, { maxFieldBytes: this.maxFieldBytes, deliveries, maxAttempts: this.maxAttempts });
    if (read.verdict === 'dead_lettered') {
      this.log(`entry ${entryId} of ${stream.key} goes to dead letters: ${read.reason} ${read.field}: ${read.detail}`);
      await this.#deadLetter(stream, entryId, read.reason, read.field, read.detail, deliveries);
      return;
    }
    const envelope = read.envelope;
    if (this.intercept(envelope, entryId, deliveries)) {
      await this.#ack(stream, entryId, envelope, deliveries);
      return;
    }
    heldHere.set(entryId, Date.now());
    try {
      const delivery = new Delivery(this, stream, entryId, deliveries, envelope);
      let failure = null;
      try {
        await this.handler(delivery);
      } catch (error) {
        failure = error ?? new Error('handler threw nothing');
      }
      await this.#settle(stream, delivery, failure);
    } catch (error) {
      // A settle step failed (Redis away): the entry stays pending and is reclaimed later.
      this.log(`could not settle ${entryId} of ${stream.key}; it stays pending: ${error.message}`);
    } finally {
      heldHere.delete(entryId);
    }
  }

  async #settle(stream, delivery, failure) {
    const { entryId, attempt, envelope } = delivery;
    if (failure instanceof NonRetryableError) {
      return this.#deadLetter(stream, entryId, 'non_retryable', '', describe(failure), attempt);
    }
    if (failure) return this.#retryOrGiveUp(stream, delivery, backoffDelay(attempt, this.backoff), describe(failure));
    if (delivery.choice?.reject !== undefined) {
      return this.#deadLetter(stream, entryId, 'rejected', '', truncate(delivery.choice.reject), attempt);
    }
    if (delivery.choice?.retryMs !== undefined) {
      return this.#retryOrGiveUp(stream, delivery, delivery.choice.retryMs,
        `handler asked to retry in ${delivery.choice.retryMs} ms`);
    }
    return this.#ack(stream, entryId, envelope, attempt);
  }

  async #retryOrGiveUp(stream, { entryId, attempt }, delayMs, why) {
    if (attempt >= this.maxAttempts) {
      return this.#deadLetter(stream, entryId, 'max_attempts', '',
        `attempt ${attempt} of ${this.maxAttempts} failed: ${why}`, attempt);
    }
    const delay = Math.min(Math.max(0, delayMs), this.visibilityMs);
    await script('retry_later.lua').run(this.commands,
      [stream.key, stream.failures, this.bus.auditShard(stream.key), stream.counters],
      [this.group, this.consumer, entryId, this.visibilityMs - delay, Date.now(), this.bus.options.auditCap, attempt,
        truncate(why)]);
    // The reclaim delivers it again once its delay has passed: not later than that.
    this.nextReclaimAt = Math.min(this.nextReclaimAt, Date.now() + delay + 10);
  }

  async #ack(stream, entryId, envelope, attempt) {
    const audited = AUDITED_FIELDS.map((name) => envelope[name] ?? '');
    await script('ack.lua').run(this.commands, [stream.key, this.bus.auditShard(stream.key), stream.counters],
      [this.group, this.consumer, this.bus.options.auditCap, 1, entryId, ...audited]);
    if (attempt > 1) await this.commands.sendCommand(['HDEL', stream.failures, entryId]);
    if (stream.isInbox) {
      const acked = (this.ackedSinceTrim.get(stream.key) ?? 0) + 1;
      this.ackedSinceTrim.set(stream.key, acked % TRIM_EVERY);
      if (acked === TRIM_EVERY) {
        script('trim.lua').run(this.commands, [stream.key], [this.bus.options.inboxRetention, 0])
          .catch((error) => this.log(`could not trim ${stream.key}: ${error.message}`));
      }
    }
  }

  async #deadLetter(stream, entryId, reason, field, detail, attempts) {
    await script('dead_letter.lua').run(this.commands,
      [stream.key, stream.deadLetters, stream.failures, this.bus.auditShard(stream.key), stream.counters],
      [this.group, entryId, reason, field ?? '', detail, this.consumer, Date.now(), attempts, this.bus.options.auditCap]);
  }

  #heldOf(key) {
    if (!this.held.has(key)) this.held.set(key, new Map());
    return this.held.get(key);
  }

  /** Extends the leases of ids of one stream; resolves with the ids another instance took meanwhile. */
  async extendLeases(ids, key) {
    const stream = this.streams.get(key);
    return script('extend_lease.lua').run(this.commands, [key], [stream.group, this.consumer, ...ids]);
  }

  async #extendHeldLeases() {
    const now = Date.now();
    for (const [key, held] of this.held) {
      const ids = [...held].filter(([, readAt]) => now - readAt < this.maxLeaseExtensionMs).map(([id]) => id);
      if (ids.length === 0) continue;
      const lost = await this.extendLeases(ids, key);
      const robbed = lost.filter((id) => held.has(id));
      if (robbed.length > 0) this.log(`entries of ${key} were reclaimed by another instance while held: ${robbed}`);
    }
  }

  async #heartbeat() {
    const [joined, left] = await script('presence.lua').run(this.commands, [keys.LIVE_AGENTS],
      [this.agent, this.presenceTtlMs]);
    const now = Date.now();
    await this.commands.sendCommand(['ZREMRANGEBYSCORE', keys.instances(this.agent), '-inf', String(now)]);
    await this.commands.sendCommand(['ZADD', keys.instances(this.agent), String(now + this.presenceTtlMs), this.consumer]);
    const changes = [...(joined === 1 ? [['agent.joined', this.agent]] : []), ...left.map((id) => ['agent.left', id])];
    for (const [type, agent] of changes) {
      await this.bus.publish(keys.PRESENCE_CHANNEL, { from: this.agent, to: 'events', type, payload: { agent } });
    }
  }

  #scheduleMoveDue(delayMs) {
    if (this.closing) return;
    const timer = setTimeout(async () => {
      let next = MOVE_CHECK_MS;
      try {
        const [moved, nextDue] = await script('move_due.lua').run(this.commands,
          [keys.delayed(this.agent), ...keys.BANDS.map((band) => keys.inbox(this.agent, band)),
            keys.deadLetters(this.agent), keys.countersOf(keys.inbox(this.agent))],
          [MOVE_BATCH, Date.now()]);
        if (moved === MOVE_BATCH) next = 0;
        else if (nextDue >= 0) next = Math.min(MOVE_CHECK_MS, nextDue);
      } catch (error) {
        if (!this.closing) this.log(`could not move due messages of ${this.agent}: ${error.message}`);
      }
      this.timers = this.timers.filter((t) => t !== timer);
      this.#scheduleMoveDue(next);
    }, delayMs);
    this.timers.push(timer);
  }

  /** Removes consumers of this group that hold nothing and were idle over 10 visibility timeouts (section 5, step 8). */
  async #sweepConsumers() {
    for (const stream of this.streams.values()) {
      const consumers = await this.commands.sendCommand(['XINFO', 'CONSUMERS', stream.key, stream.group]);
      for (const flat of consumers) {
        const info = {};
        for (let i = 0; i < flat.length; i += 2) info[flat[i]] = flat[i + 1];
        if (info.name !== this.consumer && info.pending === 0 && info.idle > 10 * this.visibilityMs) {
          await script('release_consumer.lua').run(this.commands, [stream.key], [stream.group, info.name]);
        }
      }
    }
  }

  #every(ms, task) {
    const timer = setInterval(() => {
      task().catch((error) => {
        if (!this.closing) this.log(`${this.consumer}: ${error.message}`);
      });
    }, ms);
    this.timers.push(timer);
  }

  /**
   * Stops reading, lets the entry being handled finish (within shutdownTimeoutMs) and settle, then
   * releases this consumer (release_consumer.lua keeps it if it still holds entries) and its presence.
   */
  async close({ shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = {}) {
    if (this.closing) return;
    this.closing = true;
    this.timers.forEach((timer) => clearTimeout(timer));
    if (this.reading) {
      // Ends the blocked read now, as if it had timed out: it delivers nothing, so nothing is left unseen.
      await this.commands.sendCommand(['CLIENT', 'UNBLOCK', String(this.readerId), 'TIMEOUT']).catch(() => {});
    }
    const finished = await withTimeout(this.done ?? Promise.resolve(), shutdownTimeoutMs);
    if (!finished) this.log(`${this.consumer}: a handler did not finish within ${shutdownTimeoutMs} ms; its entry stays pending`);
    try {
      for (const stream of this.streams.values()) {
        await script('release_consumer.lua').run(this.commands, [stream.key], [stream.group, this.consumer]);
      }
      if (this.agent) {
        await this.commands.sendCommand(['ZREM', keys.instances(this.agent), this.consumer]);
        const others = await this.commands.sendCommand(['ZCOUNT', keys.instances(this.agent), `(${Date.now()}`, '+inf']);
        if (others === 0) await this.commands.sendCommand(['ZREM', keys.LIVE_AGENTS, this.agent]);
      }
    } catch (error) {
      this.log(`${this.consumer} could not release itself: ${error.message}`);
    }
    await this.reader?.disconnect().catch(() => {});
  }
}

function describe(failure) {
  return truncate(`${failure?.name ?? 'Error'}: ${failure?.message ?? failure}`);
}

function truncate(detail) {
  return detail.length <= MAX_DETAIL ? detail : `${detail.slice(0, MAX_DETAIL)}…`;
}

/** Resolves true when promise settles within ms, false otherwise; leaves no timer behind. */
export async function withTimeout(promise, ms) {
  let timer;
  const expired = new Promise((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
