import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';
import { AgentBus, NoRespondersError, RequestTimeoutError } from '../src/index.js';

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

test('a request gets the reply of a serving agent, correlated by its message id', async () => {
  const responder = await bus.serve('seo', (delivery) => ({ score: delivery.payload.words * 2 }));
  const requester = await bus.subscribe('writer', () => assert.fail('a reply must not reach the handler'));

  const reply = await bus.request({ from: 'writer', to: 'seo', type: 'audit', payload: { words: 21 }, conversationId: 'c-9' },
    { timeoutMs: 5_000 });
  await Promise.all([responder.close(), requester.close()]);

  assert.deepEqual(reply.payload, { score: 42 });
  assert.equal(reply.envelope.message_type, 'audit.reply');
  assert.equal(reply.envelope.from_agent, 'seo');
  assert.equal(reply.envelope.to_agent, 'writer');
  assert.equal(reply.envelope.conversation_id, 'c-9');
  assert.ok(reply.envelope.correlation_id);
  assert.equal((await bus.commands.hGetAll('agent:{writer}:counters')).acked, '1');
});

test('a request to an agent that never listened fails at once, and one nobody answers times out', async () => {
  const requester = await bus.subscribe('asker', () => {});
  await bus.commands.sendCommand(['XGROUP', 'CREATE', 'agent:{sleeper}:inbox', 'agentbus', '0', 'MKSTREAM']);

  await assert.rejects(bus.request({ from: 'asker', to: 'nobody', type: 'ping' }), NoRespondersError);
  const startedAt = Date.now();
  await assert.rejects(bus.request({ from: 'asker', to: 'sleeper', type: 'ping' }, { timeoutMs: 300 }), RequestTimeoutError);
  await requester.close();

  assert.ok(Date.now() - startedAt >= 300);
  assert.equal(await bus.commands.xLen('agent:{nobody}:inbox'), 0);
});

test('broadcast listeners get every publish with its publisher and sequence, and count the sequence numbers they missed', async () => {
  const heard = [];
  const listening = await bus.listen('events:content:*', (message, info) => heard.push({ message, info }));
  const publisher = await AgentBus.connect(redis.url);

  const first = await publisher.publish('events:content:created', { from: 'cmo', to: 'events', type: 'content.created', payload: { n: 1 } });
  await publisher.publish('events:content:created', { from: 'cmo', to: 'events', type: 'content.created', payload: { n: 2 } });
  // Skip two sequence numbers as if those messages were lost on the way.
  publisher.sequences.set('events:content:created', 4);
  await publisher.publish('events:content:created', { from: 'cmo', to: 'events', type: 'content.created', payload: { n: 5 } });
  await bus.commands.publish('events:content:created', 'not json');
  await waitFor('3 broadcasts', () => heard.length === 3);
  await publisher.close();
  await listening.close();

  assert.equal(first.receivers, 1);
  assert.deepEqual(heard.map((h) => [JSON.parse(h.message.payload).n, h.info.sequence]), [[1, 1], [2, 2], [5, 5]]);
  assert.equal(heard[0].info.publisher, publisher.publisherId);
  assert.equal(heard[0].info.channel, 'events:content:created');
  assert.equal(listening.missed, 2);
  assert.equal(listening.malformed, 1);
});

test('every group of a durable topic gets every message, even one published before it ran again', async () => {
  const topic = bus.topic('content-created');
  const seo = [];
  const social = [];
  const seoGroup = await topic.subscribe('seo', (delivery) => seo.push(delivery.payload.n));
  const socialGroup = await topic.subscribe('social', (delivery) => social.push(delivery.payload.n));

  await topic.publish({ from: 'cmo', type: 'content.created', payload: { n: 1 } });
  await waitFor('both groups', () => seo.length === 1 && social.length === 1);
  await socialGroup.close();
  await topic.publish({ from: 'cmo', type: 'content.created', payload: { n: 2 } });
  const duplicate = await topic.publish({ from: 'cmo', type: 'content.created', payload: { n: 2 }, messageId: 'n-2' });
  const again = await topic.publish({ from: 'cmo', type: 'content.created', payload: { n: 2 }, messageId: 'n-2' });
  const socialAgain = await topic.subscribe('social', (delivery) => social.push(delivery.payload.n));
  await waitFor('the messages published while social was away', () => social.length === 3 && seo.length === 3);
  await Promise.all([seoGroup.close(), socialAgain.close()]);

  assert.deepEqual(seo, [1, 2, 2]);
  assert.deepEqual(social, [1, 2, 2]);
  assert.equal(duplicate.duplicate, false);
  assert.equal(again.duplicate, true);
  const totals = await bus.commands.hGetAll('topic:{content-created}:counters');
  assert.equal(totals.acked, '6');
});
