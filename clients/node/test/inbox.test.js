import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';
import { AgentBus, NonRetryableError } from '../src/index.js';

const driver = fileURLToPath(new URL('../bin/agentbus.js', import.meta.url));
let redis;
let bus;

before(async () => {
  redis = await startRedis();
  bus = await AgentBus.connect(redis.url);
});

after(async () => {
  await bus?.close();
  await redis?.stop();
});

/** A handler that records what it got, in order. */
function recording(behaviour = () => {}) {
  const seen = [];
  const handler = async (delivery) => {
    seen.push({ id: delivery.envelope.message_id, attempt: delivery.attempt, payload: delivery.payload,
      priority: Number(delivery.envelope.priority) });
    await behaviour(delivery);
  };
  return { seen, handler };
}

const counters = (key) => bus.commands.hGetAll(key);

test('messages of all three bands are delivered highest band first, acked, counted and audited', async () => {
  for (const priority of [1, 3, 5, 4, 7, 9, 'critical']) {
    await bus.send({ from: 'cmo', to: 'bands', type: 'task', payload: { priority: String(priority) }, priority });
  }

  const { seen, handler } = recording();
  const consumer = await bus.subscribe('bands', handler);
  await waitFor('7 deliveries', () => seen.length === 7);
  await consumer.close();

  assert.deepEqual(seen.map((s) => s.priority), [7, 9, 9, 5, 4, 1, 3]);
  assert.ok(seen.every((s) => s.attempt === 1));
  assert.deepEqual({ ...(await counters('agent:{bands}:counters')) }, { sent: '7', acked: '7' });
  const audit = await bus.readStream('audit:messages:{bands}', { count: 100 });
  assert.equal(audit.filter((r) => r.fields.audit_event === 'acked').length, 7);
  assert.equal(audit.filter((r) => r.fields.audit_event === 'sent').length, 7);
  assert.ok(await bus.commands.sIsMember('audit:shards', 'bands'));
  assert.ok(await bus.commands.sIsMember('agents:known', 'bands'));
  for (const band of ['agent:{bands}:inbox:high', 'agent:{bands}:inbox', 'agent:{bands}:inbox:low']) {
    assert.equal((await bus.commands.sendCommand(['XPENDING', band, 'agentbus']))[0], 0, band);
  }
});

test('a resend of the same message id stores nothing new', async () => {
  const message = { from: 'cmo', to: 'dedup', type: 'task', messageId: 'once-only' };

  const first = await bus.send(message);
  const again = await bus.send(message);

  assert.equal(first.duplicate, false);
  assert.equal(again.duplicate, true);
  assert.equal(again.entryId, first.entryId);
  assert.equal(await bus.commands.xLen('agent:{dedup}:inbox'), 1);
  assert.equal((await counters('agent:{dedup}:counters')).deduplicated, '1');
});

test('a delayed message waits in the delayed set and is delivered once due, in its band', async () => {
  const { seen, handler } = recording();
  const consumer = await bus.subscribe('later', handler);

  const sentAt = Date.now();
  const receipt = await bus.send({ from: 'cmo', to: 'later', type: 'task', priority: 'high' }, { delayMs: 700 });
  assert.equal(receipt.entryId, null);
  assert.equal(await bus.commands.zCard('agent:{later}:delayed'), 1);
  await waitFor('the delayed message', () => seen.length === 1, 5_000);
  await consumer.close();

  assert.ok(Date.now() - sentAt >= 700);
  assert.equal(seen[0].priority, 7);
  assert.equal(await bus.commands.zCard('agent:{later}:delayed'), 0);
  assert.equal(await bus.commands.xLen('agent:{later}:inbox:high'), 1);
});

test('a failing handler is retried with backoff, then dead-lettered as max_attempts', async () => {
  const { seen, handler } = recording(() => { throw new Error('boom'); });
  const consumer = await bus.subscribe('flaky', handler, { maxAttempts: 3, backoff: { baseMs: 20, maxMs: 100 } });

  const { messageId } = await bus.send({ from: 'cmo', to: 'flaky', type: 'task' });
  const [dead] = await waitFor('the dead letter', () => bus.deadLetters('flaky').then((d) => (d.length ? d : null)));
  await consumer.close();

  assert.deepEqual(seen.map((s) => s.attempt), [1, 2, 3]);
  assert.equal(dead.fields.message_id, messageId);
  assert.equal(dead.fields.dlq_reason, 'max_attempts');
  assert.equal(dead.fields.dlq_attempts, '3');
  assert.match(dead.fields.dlq_detail, /attempt 3 of 3 failed: Error: boom/);
  const totals = await counters('agent:{flaky}:counters');
  assert.equal(totals.retried, '2');
  assert.equal(totals.dead_lettered, '1');
  assert.equal(await bus.commands.hLen('agent:{flaky}:failures'), 0);
});

test('a non-retryable failure and a rejection go to dead letters at once with their reasons', async () => {
  const consumer = await bus.subscribe('picky', (delivery) => {
    if (delivery.payload.kind === 'permanent') throw new NonRetryableError('cannot ever work');
    delivery.deadLetter('off topic');
  });

  await bus.send({ from: 'cmo', to: 'picky', type: 'task', payload: { kind: 'permanent' } });
  await bus.send({ from: 'cmo', to: 'picky', type: 'task', payload: { kind: 'reject' } });
  const dead = await waitFor('2 dead letters', () => bus.deadLetters('picky').then((d) => (d.length === 2 ? d : null)));
  await consumer.close();

  assert.deepEqual(dead.map((d) => [d.fields.dlq_reason, d.fields.dlq_attempts]), [['non_retryable', '1'], ['rejected', '1']]);
  assert.equal(dead[1].fields.dlq_detail, 'off topic');
});

test('what a killed instance held is reclaimed by another instance after the visibility timeout', async () => {
  const holder = spawn(process.execPath, [driver, 'receive', 'orphan', '--redis', redis.url, '--hold', '--timeout-ms', '20000']);
  let stdout = '';
  holder.stdout.on('data', (chunk) => { stdout += chunk; });
  const { messageId } = await bus.send({ from: 'cmo', to: 'orphan', type: 'task' });
  await waitFor('the holder to hold it', () => stdout.includes('"holding":true'), 10_000);
  const killed = new Promise((resolve) => holder.once('exit', resolve));
  holder.kill('SIGKILL');
  await killed;

  const { seen, handler } = recording();
  const consumer = await bus.subscribe('orphan', handler, { visibilityMs: 400 });
  await waitFor('the reclaimed message', () => seen.length === 1, 5_000);
  await consumer.close();

  assert.equal(seen[0].id, messageId);
  assert.equal(seen[0].attempt, 2);
  assert.equal((await bus.commands.sendCommand(['XPENDING', 'agent:{orphan}:inbox', 'agentbus']))[0], 0);
});

test('a slow handler keeps its lease: another instance with the same visibility never takes its message', async () => {
  const options = { visibilityMs: 300 };
  const slow = recording(() => new Promise((resolve) => setTimeout(resolve, 1_200)));
  const other = recording();
  const first = await bus.subscribe('slowpoke', slow.handler, options);
  await bus.send({ from: 'cmo', to: 'slowpoke', type: 'task' });
  await waitFor('the slow handler to start', () => slow.seen.length === 1);

  const second = await bus.subscribe('slowpoke', other.handler, options);
  await waitFor('the ack', async () => (await counters('agent:{slowpoke}:counters')).acked === '1', 5_000);
  await Promise.all([first.close(), second.close()]);

  assert.equal(slow.seen.length, 1);
  assert.equal(other.seen.length, 0);
});

test('hostile entries are dead-lettered with their reasons and the consumer goes on', async () => {
  const inbox = 'agent:{target}:inbox';
  const valid = ['v', '1', 'from_agent', 'cmo', 'to_agent', 'target', 'message_type', 'task', 'timestamp', '2025-11-03T10:30:00Z'];
  await bus.commands.sendCommand(['XADD', inbox, '*', 'just', 'garbage']);
  await bus.commands.sendCommand(['XADD', inbox, '*', 'message_id', 'm-json', ...valid, 'payload', '{not json']);
  await bus.commands.sendCommand(['XADD', inbox, '*', 'message_id', 'm-twice', ...valid, 'payload', '{}', 'priority', '5', 'priority', '9']);
  await bus.commands.sendCommand(['XADD', inbox, '*', 'message_id', 'm-v2', ...valid.slice(2), 'v', '2', 'payload', '{}']);
  await bus.commands.sendCommand([Buffer.from('XADD'), Buffer.from(inbox), Buffer.from('*'), Buffer.from('message_id'),
    Buffer.from('m-bytes'), ...valid.map((part) => Buffer.from(part)), Buffer.from('payload'), Buffer.from([0x7b, 0xc3, 0x28, 0x7d])]);
  await bus.send({ from: 'cmo', to: 'target', type: 'task', messageId: 'm-valid' });

  const { seen, handler } = recording();
  const consumer = await bus.subscribe('target', handler);
  const dead = await waitFor('5 dead letters', () => bus.deadLetters('target').then((d) => (d.length === 5 ? d : null)));
  await waitFor('the valid message', () => seen.length === 1);
  await consumer.close();

  assert.deepEqual(seen.map((s) => s.id), ['m-valid']);
  assert.deepEqual(dead.map((d) => [d.fields.dlq_reason, d.fields.dlq_field]), [
    ['missing_field', 'message_id'], ['invalid_field', 'payload'], ['invalid_field', 'priority'],
    ['unsupported_version', 'v'], ['invalid_encoding', 'payload']]);
  assert.equal(dead[0].fields.just, 'garbage'); // the original fields first, unchanged
  assert.equal((await bus.commands.sendCommand(['XPENDING', inbox, 'agentbus']))[0], 0);
});

test('the trim every 1,000 acks keeps the inbox to its retention but never removes a pending entry', async () => {
  const inbox = 'agent:{trimmed}:inbox';
  const sendMany = (count, tag) => Promise.all(Array.from({ length: count },
    (_, i) => bus.send({ from: 'cmo', to: 'trimmed', type: 'task', payload: { tag, i } })));
  await bus.commands.sendCommand(['XGROUP', 'CREATE', inbox, 'agentbus', '0', 'MKSTREAM']);
  await sendMany(600, 'handled');
  const handled = await bus.commands.sendCommand(['XREADGROUP', 'GROUP', 'agentbus', 'early', 'COUNT', '600', 'STREAMS', inbox, '>']);
  await bus.commands.sendCommand(['XACK', inbox, 'agentbus', ...handled[0][1].map(([id]) => id)]);
  await sendMany(5, 'held');
  const held = await bus.commands.sendCommand(['XREADGROUP', 'GROUP', 'agentbus', 'ghost', 'COUNT', '5', 'STREAMS', inbox, '>']);
  const heldIds = held[0][1].map(([id]) => id);
  await sendMany(1000, 'new');

  const trimmingBus = await AgentBus.connect(redis.url, { inboxRetention: 10 });
  const { seen, handler } = recording();
  await trimmingBus.subscribe('trimmed', handler);
  await waitFor('1,000 deliveries', () => seen.length === 1000, 20_000);
  await waitFor('the trim', async () => (await bus.commands.xLen(inbox)) === 1005, 5_000);
  await trimmingBus.close();

  for (const id of heldIds) assert.equal((await bus.commands.sendCommand(['XRANGE', inbox, id, id])).length, 1, id);
  assert.equal((await bus.commands.sendCommand(['XPENDING', inbox, 'agentbus']))[0], 5);
});
