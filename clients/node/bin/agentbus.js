#!/usr/bin/env node
// The interop driver (the shared contract of the Python client, this client and InteropMatrixIT):
// one command per run, JSON Lines on stdout, diagnostics and `ready …` lines on stderr; exit 0 done,
// 1 failure, 2 usage error, 3 timed out before --count was reached.
import { parseArgs } from 'node:util';
import {
  AgentBus, SwarmEventBus, InterSwarmMessenger, parsePriority, InvalidEnvelopeError, NoRespondersError,
  RequestTimeoutError,
} from '../src/index.js';
import { loadVectors, verdictOf } from '../src/vectors.js';

const EXIT_DONE = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_TIMED_OUT = 3;
const DEFAULT_TIMEOUT_MS = 10_000;
/** The driver's consumers: 3 attempts and retries within 200 ms, so that tests are fast. */
const DRIVER_MAX_ATTEMPTS = 3;
const DRIVER_BACKOFF = { baseMs: 50, maxMs: 200 };
const DRIVER_READ_BLOCK_MS = 500;
const DRIVER_SENDER = 'node-cli';

class UsageError extends Error {}

const common = {
  redis: { type: 'string' },
  count: { type: 'string' },
  'timeout-ms': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string' },
  payload: { type: 'string' },
  priority: { type: 'string' },
  'message-id': { type: 'string' },
};

const COMMANDS = {
  send: { options: { 'delay-ms': { type: 'string' } }, positionals: 0, run: send },
  receive: {
    options: {
      'fail-always': { type: 'boolean' }, 'fail-times': { type: 'string' }, 'max-attempts': { type: 'string' },
      'visibility-ms': { type: 'string' }, hold: { type: 'boolean' },
    },
    positionals: 1,
    run: receive,
  },
  serve: { options: { echo: { type: 'boolean' }, reply: { type: 'string' } }, positionals: 1, run: serve },
  request: { options: {}, positionals: 0, run: request },
  publish: { options: {}, positionals: 1, run: publish },
  listen: { options: {}, positionals: 1, run: listen },
  'topic-publish': { options: {}, positionals: 1, run: topicPublish },
  'topic-subscribe': { options: { group: { type: 'string' }, 'from-start': { type: 'boolean' } }, positionals: 1, run: topicSubscribe },
  'dlq-list': { options: {}, positionals: 1, run: dlqList },
  'swarm-publish': { options: { data: { type: 'string' } }, positionals: 2, run: swarmPublish },
  'swarm-listen': { options: {}, positionals: 2, run: swarmListen },
  'messenger-send': { options: { message: { type: 'string' } }, positionals: 2, run: messengerSend },
  'messenger-receive': { options: {}, positionals: 1, run: messengerReceive },
  vectors: { options: {}, positionals: 1, run: vectors, noRedis: true },
};

const USAGE = `usage: agentbus.js <command> --redis redis://host:port [options]
commands: ${Object.keys(COMMANDS).join(', ')} (see docs: clients/node/README.md)`;

function print(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

function say(line) {
  process.stderr.write(`${line}\n`);
}

function integer(values, name, fallback) {
  const value = values[name];
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer, was ${value}`);
  return Number(value);
}

function jsonObject(values, name) {
  const value = values[name];
  if (value === undefined) return {};
  let parsed;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} must be a JSON object: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--${name} must be a JSON object`);
  return parsed;
}

function required(values, name) {
  if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  return values[name];
}

function priorityOf(values) {
  if (values.priority === undefined) return undefined;
  try {
    return parsePriority(values.priority);
  } catch (error) {
    throw new UsageError(error.message);
  }
}

/** What every receiving command prints for one message. */
function deliveryLine(envelope, attempt, entryId) {
  return {
    message_id: envelope.message_id,
    from_agent: envelope.from_agent,
    to_agent: envelope.to_agent,
    message_type: envelope.message_type,
    payload: JSON.parse(envelope.payload),
    priority: Number(envelope.priority),
    attempt,
    correlation_id: envelope.correlation_id ?? null,
    reply_to: envelope.reply_to ?? null,
    conversation_id: envelope.conversation_id ?? null,
    entry_id: entryId ?? null,
  };
}

/**
 * Counts deliveries toward --count: resolves EXIT_DONE once reached, EXIT_TIMED_OUT after the timeout.
 */
function counter(values) {
  const wanted = integer(values, 'count', 1);
  const timeoutMs = integer(values, 'timeout-ms', DEFAULT_TIMEOUT_MS);
  let counted = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const timer = setTimeout(() => finish(EXIT_TIMED_OUT), timeoutMs);
  if (wanted === 0) finish(EXIT_DONE);
  return {
    count() {
      counted++;
      if (counted >= wanted) finish(EXIT_DONE);
    },
    async done() {
      const code = await finished;
      clearTimeout(timer);
      return code;
    },
  };
}

async function send(bus, values) {
  const receipt = await bus.send({
    from: required(values, 'from'), to: required(values, 'to'), type: values.type ?? 'task',
    payload: jsonObject(values, 'payload'), priority: priorityOf(values), messageId: values['message-id'],
  }, { delayMs: integer(values, 'delay-ms', 0) });
  print({ message_id: receipt.messageId, entry_id: receipt.entryId, duplicate: receipt.duplicate });
  return EXIT_DONE;
}

async function receive(bus, values, [agent]) {
  const deliveries = counter(values);
  const maxAttempts = integer(values, 'max-attempts', DRIVER_MAX_ATTEMPTS);
  const failTimes = integer(values, 'fail-times', 0);
  await bus.subscribe(agent, async (delivery) => {
    print(deliveryLine(delivery.envelope, delivery.attempt, delivery.entryId));
    if (values.hold) {
      print({ holding: true });
      await new Promise(() => {}); // the test kills this process: the entry stays pending under it
    }
    if (values['fail-always'] || delivery.attempt <= failTimes) {
      if (delivery.attempt >= maxAttempts) deliveries.count(); // this failure dead-letters it: handled for good
      throw new Error(`failing attempt ${delivery.attempt} on purpose`);
    }
    deliveries.count();
  }, {
    maxAttempts, backoff: DRIVER_BACKOFF, readBlockMs: DRIVER_READ_BLOCK_MS,
    visibilityMs: integer(values, 'visibility-ms', 30_000),
  });
  say(`ready ${agent}`);
  return deliveries.done();
}

async function serve(bus, values, [agent]) {
  if (!values.echo === (values.reply === undefined)) throw new UsageError('serve needs exactly one of --echo and --reply JSON');
  const answer = values.echo ? null : jsonObject(values, 'reply');
  const served = counter(values);
  // Counting before the reply is stored is safe: closing the bus lets the handler finish and settle.
  await bus.serve(agent, (delivery) => {
    print(deliveryLine(delivery.envelope, delivery.attempt, delivery.entryId));
    served.count();
    return answer ?? delivery.payload;
  }, { backoff: DRIVER_BACKOFF, maxAttempts: DRIVER_MAX_ATTEMPTS, readBlockMs: DRIVER_READ_BLOCK_MS });
  say(`ready ${agent}`);
  return served.done();
}

async function request(bus, values) {
  const from = required(values, 'from');
  // A's other messages are not this command's to handle: given back for A's real instances, after
  // the visibility timeout, once this short-lived instance is gone.
  await bus.subscribe(from, (delivery) => delivery.retryIn(30_000), { readBlockMs: DRIVER_READ_BLOCK_MS });
  try {
    const reply = await bus.request({
      from, to: required(values, 'to'), type: values.type ?? 'task', payload: jsonObject(values, 'payload'),
      priority: priorityOf(values), messageId: values['message-id'],
    }, { timeoutMs: integer(values, 'timeout-ms', DEFAULT_TIMEOUT_MS) });
    print(deliveryLine(reply.envelope, reply.attempt, reply.entryId));
    return EXIT_DONE;
  } catch (error) {
    if (error instanceof RequestTimeoutError) {
      say(error.message);
      return EXIT_TIMED_OUT;
    }
    throw error;
  }
}

async function publish(bus, values, [channel]) {
  const { receivers } = await bus.publish(channel, {
    from: values.from ?? DRIVER_SENDER, to: values.to ?? 'events', type: values.type ?? 'event',
    payload: jsonObject(values, 'payload'), priority: priorityOf(values), messageId: values['message-id'],
  });
  print({ receivers });
  return EXIT_DONE;
}

async function listen(bus, values, [pattern]) {
  const heard = counter(values);
  await bus.listen(pattern, (envelope) => {
    print(deliveryLine(envelope, 1, null));
    heard.count();
  });
  say(`ready ${pattern}`);
  return heard.done();
}

async function topicPublish(bus, values, [topic]) {
  const receipt = await bus.topic(topic).publish({
    from: values.from ?? DRIVER_SENDER, type: values.type ?? 'event', payload: jsonObject(values, 'payload'),
    priority: priorityOf(values), messageId: values['message-id'],
  });
  print({ message_id: receipt.messageId, entry_id: receipt.entryId, duplicate: receipt.duplicate });
  return EXIT_DONE;
}

async function topicSubscribe(bus, values, [topic]) {
  const group = required(values, 'group');
  const deliveries = counter(values);
  await bus.topic(topic).subscribe(group, (delivery) => {
    print(deliveryLine(delivery.envelope, delivery.attempt, delivery.entryId));
    deliveries.count();
  }, { fromStart: values['from-start'] ?? false, backoff: DRIVER_BACKOFF, readBlockMs: DRIVER_READ_BLOCK_MS });
  say(`ready ${topic} ${group}`);
  return deliveries.done();
}

async function dlqList(bus, values, [agent]) {
  for (const { entryId, fields } of await bus.deadLetters(agent)) {
    print({ message_id: fields.message_id ?? null, dlq_reason: fields.dlq_reason, entry_id: entryId });
  }
  return EXIT_DONE;
}

async function swarmPublish(bus, values, [swarm, type]) {
  const events = new SwarmEventBus(swarm, { redis: bus });
  const published = await events.publish(type, jsonObject(values, 'data'), priorityOf(values) ?? 'normal');
  await events.close();
  print({ receivers: published.receivers ?? 0 });
  return EXIT_DONE;
}

async function swarmListen(bus, values, [swarm, pattern]) {
  const events = new SwarmEventBus(swarm, { redis: bus });
  const heard = counter(values);
  const listening = await events.subscribe(pattern, (event) => {
    print({ ...deliveryLine(event.envelope, 1, null), message_type: event.type });
    heard.count();
  });
  say(`ready ${listening.subscribedAs}`);
  return heard.done();
}

async function messengerSend(bus, values, [fromSwarm, toSwarm]) {
  const messenger = new InterSwarmMessenger(fromSwarm, { redis: bus });
  const receipt = await messenger.sendMessage(toSwarm, jsonObject(values, 'message'), {
    type: values.type, priority: priorityOf(values), messageId: values['message-id'],
  });
  print({ message_id: receipt.messageId, entry_id: receipt.entryId });
  return EXIT_DONE;
}

async function messengerReceive(bus, values, [swarm]) {
  const messenger = new InterSwarmMessenger(swarm, { redis: bus });
  const deliveries = counter(values);
  await messenger.onMessage((message, meta) => {
    print(deliveryLine(meta.envelope, meta.attempt, meta.entryId));
    deliveries.count();
  }, { backoff: DRIVER_BACKOFF, maxAttempts: DRIVER_MAX_ATTEMPTS, readBlockMs: DRIVER_READ_BLOCK_MS });
  say(`ready ${swarm}`);
  return deliveries.done();
}

async function vectors(_bus, _values, [file]) {
  const { reader, cases } = loadVectors(file);
  for (const vectorCase of cases) print(verdictOf(vectorCase, reader));
  return EXIT_DONE;
}

async function main(argv) {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command) throw new UsageError(name ? `unknown command ${name}` : 'a command is required');
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...common, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== command.positionals) {
    throw new UsageError(`${name} takes ${command.positionals} argument(s), was given ${positionals.length}`);
  }
  if (command.noRedis) return command.run(null, values, positionals);
  const bus = await AgentBus.connect(required(values, 'redis'), { log: say });
  try {
    return await command.run(bus, values, positionals);
  } finally {
    await bus.close();
  }
}

/** Exits once stdout is flushed: to a pipe, writes are asynchronous, and an early exit would cut lines. */
function exit(code) {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exit, (error) => {
  if (error instanceof UsageError) {
    say(`${error.message}\n${USAGE}`);
    exit(EXIT_USAGE);
  } else {
    if (error instanceof InvalidEnvelopeError || error instanceof NoRespondersError) say(`error: ${error.message}`);
    else say(`error: ${error.stack ?? error}`);
    exit(EXIT_FAILURE);
  }
});
