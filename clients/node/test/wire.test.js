import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadVectors, expandValue } from '../src/vectors.js';
import { readLuaFile, script, LUA_DIRECTORY } from '../src/scripts.js';
import { encodeMessage, readEntry, InvalidEnvelopeError, parsePriority } from '../src/index.js';

const repositoryProtocol = fileURLToPath(new URL('../../../protocol/', import.meta.url));
const vectorsFile = `${repositoryProtocol}vectors/entries.json`;
const driver = fileURLToPath(new URL('../bin/agentbus.js', import.meta.url));

test('the vectors command gives every case of entries.json its expected verdict', () => {
  const { cases } = loadVectors(vectorsFile);
  const lines = execFileSync(process.execPath, [driver, 'vectors', vectorsFile], { maxBuffer: 64 * 1024 * 1024 })
    .toString().trim().split('\n').map((line) => JSON.parse(line));

  assert.equal(cases.length, 93);
  assert.equal(lines.length, cases.length);
  cases.forEach((vectorCase, i) => {
    const expected = { name: vectorCase.name, ...vectorCase.expect };
    if (expected.envelope) {
      expected.envelope = Object.fromEntries(Object.entries(expected.envelope).map(([name, value]) => [name, expandValue(value)]));
    }
    assert.deepEqual(lines[i], expected, vectorCase.name);
    if (expected.envelope) assert.deepEqual(Object.keys(lines[i].envelope), Object.keys(expected.envelope), `${vectorCase.name}: field order`);
  });
});

test('the scripts are the repository files byte for byte, run after the files their first line names', () => {
  const directory = `${repositoryProtocol}lua/`;
  const files = readdirSync(directory).filter((name) => name.endsWith('.lua'));

  assert.ok(files.length >= 17, `protocol/lua has ${files.length} scripts`);
  for (const name of files) assert.ok(readLuaFile(name) === readFileSync(directory + name, 'utf8'), `${name} differs from ${LUA_DIRECTORY}`);
  const protocol = readFileSync(`${directory}protocol.lua`, 'utf8');
  const audit = readFileSync(`${directory}audit_record.lua`, 'utf8');
  assert.equal(script('ack.lua').source, protocol + audit + readFileSync(`${directory}ack.lua`, 'utf8'));
  const store = readFileSync(`${directory}store_messages.lua`, 'utf8');
  assert.equal(script('send.lua').source, protocol + store + readFileSync(`${directory}send.lua`, 'utf8'));
  assert.equal(script('trim.lua').source, protocol + readFileSync(`${directory}trim.lua`, 'utf8'));
});

test('a message is refused before sending when a field breaks its rule, naming the field', () => {
  const valid = { from: 'cmo', to: 'copywriter', type: 'task', payload: { brief: 'launch' } };

  assert.throws(() => encodeMessage({ ...valid, to: 'not an agent' }), (e) => e instanceof InvalidEnvelopeError && e.field === 'to_agent');
  assert.throws(() => encodeMessage({ ...valid, payload: '[1,2]' }), (e) => e.field === 'payload');
  assert.throws(() => encodeMessage({ ...valid, priority: 10 }), (e) => e.field === 'priority');
  assert.throws(() => encodeMessage({ ...valid, messageId: 'has space' }), (e) => e.field === 'message_id');
  assert.equal(parsePriority(' Urgent '), 8);
});

test('what the writer writes is read back unchanged', () => {
  const fields = encodeMessage({ from: 'cmo', to: 'copywriter', type: 'task', payload: { a: 'é' }, priority: 'high',
    conversationId: 'c-1', timestamp: Date.UTC(2025, 10, 3, 10, 30, 0, 123) });

  const read = readEntry(Object.entries(fields).map(([name, value]) => [name, Buffer.from(value)]));

  assert.equal(read.verdict, 'accepted');
  assert.deepEqual(read.envelope, fields);
  assert.equal(fields.timestamp, '2025-11-03T10:30:00.123Z');
  assert.equal(fields.priority, '7');
});

test('a reader dead-letters a nested payload deeper than the Java reader takes', () => {
  const deep = `{"a":${'['.repeat(1000)}${']'.repeat(1000)}}`;
  const fields = { ...encodeMessage({ from: 'a', to: 'b', type: 't' }), payload: deep };

  const read = readEntry(Object.entries(fields));

  assert.equal(read.verdict, 'dead_lettered');
  assert.equal(read.field, 'payload');
});
