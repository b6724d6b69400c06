// The wire form of a message, version 1 (docs/PROTOCOL.md sections 1 and 3): one stream entry of
// string fields. readEntry is the reader: a pure function from an entry's fields to an envelope or a
// dead-letter verdict, giving the verdicts of protocol/vectors/entries.json (the Java reader's,
// EnvelopeCodec and OutcomePolicy), checks in the same order, so that one entry gets one verdict
// whichever language reads it.

export const PROTOCOL_VERSION = 1;
/** The Java default of maxPayloadBytes: every field's value is held to it by a reader. */
export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;
/** What an entry may hold besides its payload before a reader refuses it whole (Java ENVELOPE_ALLOWANCE_BYTES). */
export const ENVELOPE_ALLOWANCE_BYTES = 64 * 1024;

/** The fields of version 1, in the order a writer writes them; any other field is an extension. */
export const ENVELOPE_FIELDS = ['v', 'message_id', 'from_agent', 'to_agent', 'message_type', 'payload', 'timestamp',
  'priority', 'reply_to', 'correlation_id', 'conversation_id', 'expires_at'];
/** The fields an audit record copies, in the order ack.lua takes their values (protocol.lua AUDITED_FIELDS). */
export const AUDITED_FIELDS = ['message_id', 'from_agent', 'to_agent', 'message_type', 'priority', 'conversation_id',
  'correlation_id'];

export const PRIORITY_NAMES = { low: 3, normal: 5, high: 7, urgent: 8, critical: 9 };

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MESSAGE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MESSAGE_ID = /^[!-~]{1,128}$/;
const MAX_EXTENSION_NAME = 64;
const AGENT_ID_RULE = "must be 1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit";
const MESSAGE_ID_RULE = 'must be 1-128 printable ASCII characters without spaces';
const TIMESTAMP_RULE = 'must be an ISO-8601 UTC date-time such as 2025-11-03T10:30:00Z';
const PRIORITY_RULE = 'must be an integer 1-9 or one of low, normal, high, urgent, critical';

/** A field that breaks its rule: what send refuses and what a reader dead-letters as invalid_field. */
export class InvalidEnvelopeError extends Error {
  constructor(field, value, rule) {
    const shown = value === undefined || value === null ? 'missing' : `'${String(value).slice(0, 100)}'`;
    super(`${field} ${rule}; was ${shown}`);
    this.name = 'InvalidEnvelopeError';
    this.field = field;
    this.rule = rule;
  }
}

export function isAgentId(text) {
  return typeof text === 'string' && AGENT_ID.test(text);
}

export function checkAgentId(field, text) {
  if (!isAgentId(text)) throw new InvalidEnvelopeError(field, text, AGENT_ID_RULE);
  return text;
}

export function checkMessageId(field, text) {
  if (typeof text !== 'string' || !MESSAGE_ID.test(text)) throw new InvalidEnvelopeError(field, text, MESSAGE_ID_RULE);
  return text;
}

export function checkMessageType(text) {
  if (typeof text !== 'string' || !MESSAGE_TYPE.test(text)) {
    throw new InvalidEnvelopeError('message_type', text,
      "must be 1-128 characters of letters, digits, '_', '.', '-', starting with a letter or digit");
  }
  return text;
}

/** Java's String.trim: strips characters up to U+0020 at both ends (not Unicode spaces). */
function javaTrim(text) {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

/** A priority as written (digit, name in any case, spaces around) or a number: 1-9, else InvalidEnvelopeError. */
export function parsePriority(value) {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 1 && value <= 9) return value;
    throw new InvalidEnvelopeError('priority', value, PRIORITY_RULE);
  }
  if (typeof value === 'string') {
    const trimmed = javaTrim(value);
    if (/^[1-9]$/.test(trimmed)) return Number(trimmed);
    // As Java's Priority.parse: the name upper-cased equals one of the constants' names
    const upper = trimmed.toUpperCase();
    const name = Object.keys(PRIORITY_NAMES).find((candidate) => candidate.toUpperCase() === upper);
    if (name !== undefined) return PRIORITY_NAMES[name];
  }
  throw new InvalidEnvelopeError('priority', value, PRIORITY_RULE);
}

// ---- timestamps: what java.time's Instant.parse, OffsetDateTime.parse and LocalDateTime.parse accept ----

const TIMESTAMP = new RegExp(
  '^([+-]?\\d{4,10})-(\\d{2})-(\\d{2})[Tt](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{0,9}))?)?'
  + '(?:([Zz])|([+-])(\\d{2}):(\\d{2})(?::(\\d{2}))?)?$');

function daysInMonth(year, month) {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Milliseconds since the epoch of an ISO-8601 date-time (fractions finer than ms truncated), or InvalidEnvelopeError. */
export function parseTimestamp(field, text) {
  const match = typeof text === 'string' ? TIMESTAMP.exec(text) : null;
  if (!match) throw new InvalidEnvelopeError(field, text, TIMESTAMP_RULE);
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, , sign, offH, offM, offS] = match;
  // java.time's year: four digits unsigned, more digits only with a sign
  const digits = yearText.replace(/^[+-]/, '');
  if ((digits.length > 4 && !/^[+-]/.test(yearText)) || (yearText.startsWith('+') && digits.length <= 4)) {
    throw new InvalidEnvelopeError(field, text, TIMESTAMP_RULE);
  }
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = secondText === undefined ? 0 : Number(secondText);
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
    && hour <= 23 && minute <= 59 && second <= 59;
  let offsetSeconds = 0;
  if (sign !== undefined) {
    const hours = Number(offH);
    const minutes = Number(offM);
    const seconds = offS === undefined ? 0 : Number(offS);
    offsetSeconds = (hours * 3600 + minutes * 60 + seconds) * (sign === '-' ? -1 : 1);
    if (hours > 18 || minutes > 59 || seconds > 59 || Math.abs(offsetSeconds) > 18 * 3600) {
      throw new InvalidEnvelopeError(field, text, TIMESTAMP_RULE);
    }
  }
  if (!valid) throw new InvalidEnvelopeError(field, text, TIMESTAMP_RULE);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0);
  const millis = date.getTime() - offsetSeconds * 1000;
  if (Number.isNaN(millis)) throw new InvalidEnvelopeError(field, text, TIMESTAMP_RULE);
  return millis;
}

/** The form a writer writes, as Java's ISO_INSTANT: 2025-11-03T10:30:00Z, with .123 only when the ms are not zero. */
export function formatTimestamp(millis) {
  const date = new Date(millis);
  const year = date.getUTCFullYear();
  let yearText;
  if (year < 0) yearText = '-' + String(-year).padStart(4, '0');
  else if (year > 9999) yearText = '+' + year;
  else yearText = String(year).padStart(4, '0');
  const two = (n) => String(n).padStart(2, '0');
  const ms = date.getUTCMilliseconds();
  return `${yearText}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}T${two(date.getUTCHours())}:`
    + `${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}${ms ? '.' + String(ms).padStart(3, '0') : ''}Z`;
}

// ---- payload: what Jackson's streaming parser accepts as one JSON object ----

const JACKSON_MAX_DEPTH = 1000;
const JACKSON_MAX_NUMBER_LENGTH = 1000;
const JACKSON_MAX_NAME_LENGTH = 50000;

/** Throws InvalidEnvelopeError unless text is one JSON object with nothing after it, within Jackson's limits. */
export function checkPayload(text) {
  if (typeof text !== 'string') throw new InvalidEnvelopeError('payload', text, 'is required');
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidEnvelopeError('payload', text, `must be a JSON object (${error.message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidEnvelopeError('payload', text, 'must be a JSON object');
  }
  // JSON.parse has no nesting or token limits; the Java reader (Jackson) refuses beyond these.
  const limit = jacksonLimitBroken(text);
  if (limit) throw new InvalidEnvelopeError('payload', text, `must be a JSON object (${limit})`);
  return parsed;
}

function jacksonLimitBroken(text) {
  let depth = 0;
  const keyExpected = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const objectKey = keyExpected[keyExpected.length - 1] && /^\s*:/.test(text.slice(i + 1, i + 40));
      if (objectKey && i - start - 1 > JACKSON_MAX_NAME_LENGTH) return 'a property name is too long';
    } else if (c === '{' || c === '[') {
      depth++;
      keyExpected.push(c === '{');
      if (depth > JACKSON_MAX_DEPTH) return `nesting depth exceeds ${JACKSON_MAX_DEPTH}`;
    } else if (c === '}' || c === ']') {
      depth--;
      keyExpected.pop();
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const start = i;
      while (i + 1 < text.length && /[0-9eE.+-]/.test(text[i + 1])) i++;
      if (i - start + 1 > JACKSON_MAX_NUMBER_LENGTH) return 'a number is too long';
    }
  }
  return null;
}

// ---- reading an entry ----

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

function byteLength(part) {
  return typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length;
}

/**
 * Reads one stream entry. fields: the entry's [name, value] pairs in XADD order, each a string or a
 * Buffer (raw bytes, so that invalid UTF-8 is seen, not replaced). options: maxFieldBytes (default 1 MiB),
 * now (ms, for expires_at), deliveries and maxAttempts (an entry delivered more often than allowed is
 * dead-lettered unhandled), onExpiry ('dead_letter', or 'drop' to settle it without a dead letter).
 * Returns {verdict: 'accepted', envelope} where envelope holds the normalised wire fields (strings, in
 * the writer's order, then extensions), or {verdict: 'dead_lettered', reason, field, detail} with field
 * '' when the entry as a whole is at fault.
 */
export function readEntry(fields, options = {}) {
  const maxFieldBytes = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const entryBytes = fields.reduce((sum, [name, value]) => sum + byteLength(name) + byteLength(value), 0);
  if (entryBytes > maxFieldBytes + ENVELOPE_ALLOWANCE_BYTES) {
    return deadLettered('too_large', '',
      `the entry has ${entryBytes} bytes; a reader takes at most ${maxFieldBytes + ENVELOPE_ALLOWANCE_BYTES}`);
  }
  const names = fields.map(([name]) => (typeof name === 'string' ? name : lenientUtf8.decode(name)));
  const seen = new Set();
  for (const name of names) {
    if (seen.has(name)) {
      const shown = name.replace(/\p{Cc}/gu, '?'); // shown in logs: no forged lines
      return deadLettered('invalid_field', shown,
        `the entry has field ${shown} more than once: which value is meant is ambiguous`);
    }
    seen.add(name);
  }
  const text = new Map();
  for (let i = 0; i < fields.length; i++) {
    const name = names[i];
    const value = fields[i][1];
    const size = byteLength(value);
    if (size > maxFieldBytes) {
      return deadLettered('too_large', name, `is ${size} bytes, more than the limit of ${maxFieldBytes}`);
    }
    let decoded = value;
    if (typeof value !== 'string') {
      try {
        decoded = fatalUtf8.decode(value);
      } catch {
        decoded = null;
      }
    }
    if (decoded === null || name.includes('\uFFFD')) return deadLettered('invalid_encoding', name, 'is not valid UTF-8');
    text.set(name, decoded);
  }
  const decoded = decodeText(text);
  if (decoded.verdict !== 'accepted') return decoded;
  const envelope = decoded.envelope;
  const deliveries = options.deliveries ?? 1;
  if (options.maxAttempts !== undefined && deliveries > options.maxAttempts) {
    return deadLettered('max_attempts', '', `delivered ${deliveries} times without an outcome (max `
      + `${options.maxAttempts}): the consumers holding it died or their leases expired`);
  }
  const now = options.now ?? Date.now();
  if (envelope.expires_at !== undefined && now >= parseTimestamp('expires_at', envelope.expires_at)) {
    if ((options.onExpiry ?? 'dead_letter') === 'dead_letter') {
      return deadLettered('expired', 'expires_at', `expired at ${envelope.expires_at}`);
    }
    return { verdict: 'expired', envelope };
  }
  return decoded;
}

function deadLettered(reason, field, detail) {
  return { verdict: 'dead_lettered', reason, field, detail };
}

/** Reads a message's text fields (a Map of name -> string): a stream entry after its bytes were checked, or a broadcast. */
export function decodeText(fields) {
  const version = fields.get('v');
  if (version !== undefined) {
    const trimmed = javaTrim(version);
    const v = /^[+-]?\d{1,10}$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isSafeInteger(v) || v > 2147483647 || v < -2147483648) {
      return deadLettered('invalid_field', 'v', 'must be an integer protocol version');
    }
    if (v > PROTOCOL_VERSION) {
      return deadLettered('unsupported_version', 'v',
        `version ${v} is newer than ${PROTOCOL_VERSION}, the newest this consumer reads`);
    }
    if (v < 1) return deadLettered('invalid_field', 'v', 'must be >= 1');
  }
  const timestampField = fields.has('timestamp') ? 'timestamp' : 'created_at';
  for (const required of ['message_id', 'from_agent', 'to_agent', 'message_type', 'payload']) {
    if (!fields.has(required)) return deadLettered('missing_field', required, 'is required');
  }
  if (!fields.has(timestampField)) return deadLettered('missing_field', 'timestamp', 'is required');
  try {
    // The order of the Java builder's checks: which field is named when several are wrong.
    const envelope = { v: String(PROTOCOL_VERSION) };
    envelope.message_id = checkMessageId('message_id', fields.get('message_id'));
    envelope.from_agent = checkAgentId('from_agent', fields.get('from_agent'));
    envelope.to_agent = checkAgentId('to_agent', fields.get('to_agent'));
    const timestamp = formatTimestamp(parseTimestamp(timestampField, fields.get(timestampField)));
    const priority = fields.has('priority') ? String(parsePriority(fields.get('priority'))) : '5';
    const replyTo = fields.has('reply_to') ? checkAgentId('reply_to', fields.get('reply_to')) : undefined;
    const expiresAt = fields.has('expires_at')
      ? formatTimestamp(parseTimestamp('expires_at', fields.get('expires_at'))) : undefined;
    envelope.message_type = checkMessageType(fields.get('message_type'));
    checkPayload(fields.get('payload'));
    envelope.payload = fields.get('payload');
    envelope.timestamp = timestamp;
    envelope.priority = priority;
    if (replyTo !== undefined) envelope.reply_to = replyTo;
    if (fields.has('correlation_id')) envelope.correlation_id = checkMessageId('correlation_id', fields.get('correlation_id'));
    if (fields.has('conversation_id')) {
      envelope.conversation_id = checkMessageId('conversation_id', fields.get('conversation_id'));
    }
    if (expiresAt !== undefined) envelope.expires_at = expiresAt;
    for (const [name, value] of fields) {
      if (ENVELOPE_FIELDS.includes(name) || name === timestampField) continue;
      if (name.length === 0 || name.length > MAX_EXTENSION_NAME) {
        throw new InvalidEnvelopeError('extension field name', name, 'must be 1-64 characters');
      }
      envelope[name] = value;
    }
    return { verdict: 'accepted', envelope };
  } catch (error) {
    if (error instanceof InvalidEnvelopeError) return deadLettered('invalid_field', error.field, error.message);
    throw error;
  }
}

/**
 * The wire fields of a message to send, validated as a reader would (InvalidEnvelopeError otherwise):
 * message {from, to, type, payload (object or JSON text), priority (digit, name or number),
 * messageId, replyTo, correlationId, conversationId, expiresAt (ms or Date), timestamp (ms or Date),
 * extensions {name: string}}. Returns a plain object of strings in the writer's order.
 */
export function encodeMessage(message) {
  const fields = { v: String(PROTOCOL_VERSION) };
  fields.message_id = checkMessageId('message_id', message.messageId ?? crypto.randomUUID());
  fields.from_agent = checkAgentId('from_agent', message.from);
  fields.to_agent = checkAgentId('to_agent', message.to);
  fields.message_type = checkMessageType(message.type);
  const payload = message.payload === undefined ? {} : message.payload;
  fields.payload = typeof payload === 'string' ? payload : JSON.stringify(payload);
  checkPayload(fields.payload);
  fields.timestamp = formatTimestamp(toMillis(message.timestamp ?? Date.now()));
  fields.priority = String(message.priority === undefined ? 5 : parsePriority(message.priority));
  if (message.replyTo !== undefined) fields.reply_to = checkAgentId('reply_to', message.replyTo);
  if (message.correlationId !== undefined) fields.correlation_id = checkMessageId('correlation_id', message.correlationId);
  if (message.conversationId !== undefined) {
    fields.conversation_id = checkMessageId('conversation_id', message.conversationId);
  }
  if (message.expiresAt !== undefined) fields.expires_at = formatTimestamp(toMillis(message.expiresAt));
  for (const [name, value] of Object.entries(message.extensions ?? {})) {
    if (name.length === 0 || name.length > MAX_EXTENSION_NAME || ENVELOPE_FIELDS.includes(name)) {
      throw new InvalidEnvelopeError('extension field name', name, 'must be 1-64 characters and not a protocol field');
    }
    if (typeof value !== 'string') throw new InvalidEnvelopeError(name, value, 'extension value must be a string');
    fields[name] = value;
  }
  return fields;
}

function toMillis(time) {
  const millis = time instanceof Date ? time.getTime() : time;
  if (!Number.isFinite(millis)) throw new InvalidEnvelopeError('timestamp', time, 'must be a Date or ms since the epoch');
  return Math.trunc(millis);
}

/** The band of a priority (section 2): 'high' for 7-9, 'low' for 1-3, 'normal' otherwise. */
export function bandOf(priority) {
  if (priority >= 7) return 'high';
  if (priority <= 3) return 'low';
  return 'normal';
}
