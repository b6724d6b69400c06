import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis } from './support/redis-server.js';

const driver = fileURLToPath(new URL('../bin/agentbus.js', import.meta.url));
let redis;

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await redis?.stop();
});

/** Starts a driver command; ready() resolves on its `ready` line, result() with {code, lines, stderr}. */
// A listener started first waits while the commands under test start one Node process each: seconds
// on a loaded CI machine, more than the driver's default timeout of 10 s.
const LISTEN_MS = '60000';

function start(...args) {
  const child = spawn(process.execPath, [driver, ...args, ...(args[0] === 'vectors' ? [] : ['--redis', redis.url])]);
  let stdout = '';
  let stderr = '';
  let onReady;
  const ready = new Promise((resolve) => { onReady = resolve; });
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (/^ready /m.test(stderr)) onReady();
  });
  const result = new Promise((resolve) => child.once('close', (code) => resolve({
    code, stderr, lines: stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)),
  })));
  return { ready: () => Promise.race([ready, result.then(() => assert.fail(`exited before ready: ${stderr}`))]), result: () => result };
}

const run = (...args) => start(...args).result();

test('send then receive: delivery lines in priority order, then exit 0 at --count', async () => {
  for (const priority of ['low', '5', 'critical']) {
    const { code, lines } = await run('send', '--from', 'cmo', '--to', 'writer', '--priority', priority, '--payload', `{"p":"${priority}"}`);
    assert.equal(code, 0);
    assert.equal(lines[0].duplicate, false);
  }

  const { code, lines } = await run('receive', 'writer', '--count', '3');

  assert.equal(code, 0);
  assert.deepEqual(lines.map((line) => [line.priority, line.payload.p, line.attempt]), [[9, 'critical', 1], [5, '5', 1], [3, 'low', 1]]);
  assert.deepEqual(Object.keys(lines[0]), ['message_id', 'from_agent', 'to_agent', 'message_type', 'payload', 'priority',
    'attempt', 'correlation_id', 'reply_to', 'conversation_id', 'entry_id']);
  assert.equal(lines[0].message_type, 'task');
});

test('receive --fail-always retries, dead-letters after --max-attempts, and dlq-list shows the reason', async () => {
  const sent = (await run('send', '--from', 'cmo', '--to', 'doomed', '--message-id', 'doomed-1')).lines[0];

  const received = await run('receive', 'doomed', '--fail-always', '--max-attempts', '3');
  const dead = await run('dlq-list', 'doomed');

  assert.equal(received.code, 0);
  assert.deepEqual(received.lines.map((line) => line.attempt), [1, 2, 3]);
  assert.deepEqual(dead.lines.map((line) => [line.message_id, line.dlq_reason]), [[sent.message_id, 'max_attempts']]);
});

test('request gets the echo of serve, and times out with exit 3 when nobody serves', async () => {
  const server = start('serve', 'echoer', '--echo', '--count', '1', '--timeout-ms', LISTEN_MS);
  await server.ready();

  const reply = await run('request', '--from', 'asker', '--to', 'echoer', '--type', 'ping', '--payload', '{"n":7}');
  const served = await server.result();
  const late = await run('request', '--from', 'asker', '--to', 'echoer', '--timeout-ms', '300');

  assert.equal(reply.code, 0);
  assert.deepEqual(reply.lines[0].payload, { n: 7 });
  assert.equal(reply.lines[0].message_type, 'ping.reply');
  assert.equal(reply.lines[0].correlation_id, served.lines[0].message_id);
  assert.equal(served.lines[0].reply_to, 'asker');
  assert.equal(late.code, 3);
});

test('listen, topic-subscribe, swarm-listen and messenger-receive get what the matching commands send', async () => {
  const listener = start('listen', 'events:content:*', '--count', '1', '--timeout-ms', LISTEN_MS);
  const subscriber = start('topic-subscribe', 'news', '--group', 'readers', '--count', '1', '--timeout-ms', LISTEN_MS);
  const swarmListener = start('swarm-listen', 's9', 'agent.*', '--count', '1', '--timeout-ms', LISTEN_MS);
  const receiver = start('messenger-receive', 'build', '--count', '1', '--timeout-ms', LISTEN_MS);
  await Promise.all([listener.ready(), subscriber.ready(), swarmListener.ready(), receiver.ready()]);

  const published = await run('publish', 'events:content:created', '--type', 'content.created', '--payload', '{"t":1}');
  const topicPublished = await run('topic-publish', 'news', '--payload', '{"t":2}');
  const swarmPublished = await run('swarm-publish', 's9', 'agent.joined', '--data', '{"t":3}', '--priority', 'critical');
  const messengerSent = await run('messenger-send', 'research', 'build', '--type', 'finding', '--message', '{"t":4}');
  const results = await Promise.all([listener.result(), subscriber.result(), swarmListener.result(), receiver.result()]);

  assert.deepEqual(published.lines, [{ receivers: 1 }]);
  assert.deepEqual(swarmPublished.lines, [{ receivers: 1 }]);
  assert.equal(topicPublished.lines[0].duplicate, false);
  assert.ok(messengerSent.lines[0].entry_id);
  assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0]);
  assert.deepEqual(results.map((r) => r.lines[0].payload.t), [1, 2, 3, 4]);
  assert.equal(results[0].lines[0].entry_id, null);
  assert.equal(results[2].lines[0].message_type, 'agent.joined');
  assert.equal(results[2].lines[0].priority, 9);
  assert.equal(results[3].lines[0].from_agent, 'research');
});

test('bad usage exits 2 and bad input exits 1, each with a line on stderr', async () => {
  const unknown = await run('fly');
  const missing = await run('serve', 'x', '--count', '1');
  const badPayload = await run('send', '--from', 'a', '--to', 'b', '--payload', '[1]');
  const badAgent = await run('send', '--from', 'a', '--to', 'no spaces');

  assert.deepEqual([unknown.code, missing.code, badPayload.code, badAgent.code], [2, 2, 2, 1]);
  assert.match(badAgent.stderr, /to_agent must be 1-64 characters/);
});
