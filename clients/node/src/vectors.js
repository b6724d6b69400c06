// protocol/vectors/entries.json: stream entries with the verdict a reader must give. Used by the
// driver's `vectors` command and its test; the format is described in the file itself.
import { readFileSync } from 'node:fs';
import { readEntry } from './wire.js';

/** A vector value: a string, {hex} raw bytes (a Buffer), or {repeat, times, prefix, suffix}. */
export function expandValue(value) {
  if (typeof value === 'string') return value;
  if (typeof value.hex === 'string') return Buffer.from(value.hex, 'hex');
  if (typeof value.repeat === 'string') return (value.prefix ?? '') + value.repeat.repeat(value.times) + (value.suffix ?? '');
  throw new Error(`unknown vector value ${JSON.stringify(value)}`);
}

/** The cases of a vectors file, their fields expanded, with the reader settings it states. */
export function loadVectors(file) {
  const document = JSON.parse(readFileSync(file, 'utf8'));
  const reader = {
    maxFieldBytes: document.reader.max_field_bytes,
    onExpiry: document.reader.on_expiry,
  };
  const cases = document.cases.map((c) => ({
    name: c.name,
    fields: c.fields.map(([name, value]) => [expandValue(name), expandValue(value)]),
    expect: c.expect,
  }));
  return { reader, cases };
}

/** What this client's reader says of one case, in the driver's output form. */
export function verdictOf(vectorCase, reader) {
  const read = readEntry(vectorCase.fields, reader);
  if (read.verdict === 'accepted') return { name: vectorCase.name, verdict: 'accepted', envelope: read.envelope };
  return { name: vectorCase.name, verdict: 'dead_lettered', reason: read.reason, field: read.field };
}
