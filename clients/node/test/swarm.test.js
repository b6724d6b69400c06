import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';
import { AgentBus, SwarmEventBus, InterSwarmMessenger } from '../src/index.js';

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

test('swarm events reach the listeners whose pattern matches their type, with data and priority', async () => {
  const events = new SwarmEventBus('s1', { redis: redis.url });
  await events.connect();
  const agentEvents = [];
  const everything = [];
  await events.subscribe('agent.*', (event) => agentEvents.push(event));
  const other = new SwarmEventBus('s2', { redis: bus });
  await other.subscribe('*', (event) => everything.push(event));

  const joined = await events.publish('agent.joined', { agent: 'a1' }, 'high');
  await events.publish('task.created', { task: 't1' });
  await other.publish('agent.left', { agent: 'b1' }, 2);
  await waitFor('both listeners', () => agentEvents.length === 1 && everything.length === 1);
  await Promise.all([events.close(), other.close()]);

  assert.equal(joined.receivers, 1);
  assert.deepEqual([agentEvents[0].type, agentEvents[0].swarmId, agentEvents[0].data, agentEvents[0].priority, agentEvents[0].id],
    ['agent.joined', 's1', { agent: 'a1' }, 7, joined.id]);
  assert.equal(agentEvents[0].channel, 'event:{s1}:agent.joined');
  assert.deepEqual([everything[0].type, everything[0].priority], ['agent.left', 2]);
});

test('over the rate limit events are deferred in order while critical ones go at once', async () => {
  const events = new SwarmEventBus('busy', { redis: bus, rate: 2 });
  const heard = [];
  await events.subscribe('*', (event) => heard.push(event.data.n));

  const outcomes = [];
  for (let n = 1; n <= 5; n++) outcomes.push((await events.publish('task.step', { n }, 'normal')).outcome);
  outcomes.push((await events.publish('task.alarm', { n: 'alarm' }, 'critical')).outcome);
  await waitFor('every event', () => heard.length === 6, 5_000);
  await events.close();

  assert.deepEqual(outcomes, ['published', 'published', 'deferred', 'deferred', 'deferred', 'published']);
  assert.deepEqual(heard, [1, 2, 'alarm', 3, 4, 5]);
  assert.equal(events.deferred, 3);
});

test('the messenger delivers what was sent before the receiver ever ran, and keeps a bounded history', async () => {
  const research = new InterSwarmMessenger('research', { redis: bus, historySize: 5 });
  const build = new InterSwarmMessenger('build', { redis: bus });
  for (let i = 0; i < 8; i++) await research.sendMessage('build', { type: 'finding', i });
  // Nothing received yet: the trim keeps every entry the receiving swarm has not received.
  assert.equal(await bus.commands.xLen('message:research:{build}'), 8);

  const got = [];
  await build.onMessage((message, meta) => got.push([message.i, meta.fromSwarm, meta.type]));
  await waitFor('8 messages', () => got.length === 8, 5_000);
  await research.sendMessage('build', { type: 'finding', i: 8 });
  await waitFor('the 9th', () => got.length === 9, 5_000);
  const history = await build.getHistory('research', 3);
  await build.close();
  // Everything was received and acked: this send's trim takes the pair back to its history size.
  await research.sendMessage('build', { type: 'finding', i: 9 });

  assert.deepEqual(got.map(([i]) => i), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(got[0].slice(1), ['research', 'finding']);
  assert.deepEqual(history.map((entry) => entry.message.i), [6, 7, 8]);
  assert.equal(history[2].fromSwarm, 'research');
  assert.equal(await bus.commands.xLen('message:research:{build}'), 5);
  assert.deepEqual(await build.senders(), ['research']);
});

test("the seed's example runs: two swarms exchange events and messages and nothing is lost", async () => {
  const example = fileURLToPath(new URL('../examples/swarm-seed.js', import.meta.url));

  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [example, '--redis', redis.url], { timeout: 30_000 }, (error, out, err) => {
      if (error) reject(new Error(`${error.message}\n${err}`));
      else resolve(out);
    });
  });

  const result = stdout.trim().split('\n').at(-1);
  process.stdout.write(`${result}\n`);
  const [, sent, received, lost] = /^RESULT scenario=seed-api-node sent=(\d+) received=(\d+) lost=(\d+)$/.exec(result);
  assert.equal(Number(lost), 0);
  assert.equal(Number(received), Number(sent));
  assert.ok(Number(sent) >= 40);
});
