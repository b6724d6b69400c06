#!/usr/bin/env node
// The swarm seed's example on agentbus: two swarms, research and build, each with its event bus and
// its messenger. They publish lifecycle events (a critical one bypasses the rate limit), listen to
// each other's, exchange messages both ways at least once, and read back the pair's history.
// Only the constructors differ from the seed's code (they take { redis: url }).
//
//   node examples/swarm-seed.js --redis redis://127.0.0.1:6379      (or AGENTBUS_REDIS_URL)
//
// Prints what happens on stderr and ends with one line on stdout, computed from what was received:
//   RESULT scenario=seed-api-node sent=N received=N lost=0
// and exits 0 iff nothing was lost.
import { parseArgs } from 'node:util';
import { SwarmEventBus, InterSwarmMessenger } from 'agentbus';

const { values } = parseArgs({ options: { redis: { type: 'string' }, messages: { type: 'string' } } });
const redis = values.redis ?? process.env.AGENTBUS_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MESSAGES = Number(values.messages ?? 20);
const log = (line) => process.stderr.write(`${line}\n`);

const researchEvents = new SwarmEventBus('research', { redis });
const buildEvents = new SwarmEventBus('build', { redis });
const researchMessenger = new InterSwarmMessenger('research', { redis });
const buildMessenger = new InterSwarmMessenger('build', { redis });
await researchEvents.connect();
await buildEvents.connect();

const sent = new Set();
const received = new Set();

// Each swarm watches the other's agents and tasks.
await researchEvents.subscribe('agent.*', (event) => {
  received.add(event.id);
  log(`research heard ${event.type} from ${event.source}: ${JSON.stringify(event.data)}`);
});
await buildEvents.subscribe('task.*', (event) => {
  received.add(event.id);
  log(`build heard ${event.type} (priority ${event.priority}): ${JSON.stringify(event.data)}`);
});

await researchMessenger.onMessage((message, meta) => {
  received.add(meta.messageId);
  log(`research got ${meta.type} from ${meta.fromSwarm}: ${JSON.stringify(message)}`);
});
await buildMessenger.onMessage((message, meta) => {
  received.add(meta.messageId);
  log(`build got ${meta.type} from ${meta.fromSwarm} (attempt ${meta.attempt}): ${JSON.stringify(message)}`);
});

for (const [type, data, priority] of [
  ['agent.joined', { agent: 'analyst-1' }, 'normal'],
  ['agent.joined', { agent: 'analyst-2' }, 'low'],
  ['agent.completed', { agent: 'analyst-1', phase: 'discovery' }, 'high'],
  ['agent.failed', { agent: 'analyst-2', error: 'quota' }, 'critical'],
]) {
  const outcome = await researchEvents.publish(type, data, priority);
  sent.add(outcome.id);
}
for (let i = 0; i < 3; i++) {
  const outcome = await buildEvents.publish('task.assigned', { task: `build-${i}` }, i === 2 ? 9 : 5);
  sent.add(outcome.id);
}

for (let i = 0; i < MESSAGES; i++) {
  const finding = await researchMessenger.sendMessage('build', { type: 'finding', index: i, summary: `finding ${i}` });
  const question = await buildMessenger.sendMessage('research', { type: 'question', index: i, about: `finding ${i}` });
  sent.add(finding.messageId);
  sent.add(question.messageId);
}

const deadline = Date.now() + 10_000;
while ([...sent].some((id) => !received.has(id)) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const history = await buildMessenger.getHistory('research', 5);
log(`build's newest ${history.length} messages from research: ${history.map((entry) => entry.message.index).join(', ')}`);

await Promise.all([researchEvents.close(), buildEvents.close(), researchMessenger.close(), buildMessenger.close()]);

const lost = [...sent].filter((id) => !received.has(id)).length;
const heard = [...sent].filter((id) => received.has(id)).length;
process.stdout.write(`RESULT scenario=seed-api-node sent=${sent.size} received=${heard} lost=${lost}\n`);
process.exitCode = lost === 0 ? 0 : 1;
