// agentbus: a Node client of the agentbus wire protocol (docs/PROTOCOL.md).
export { AgentBus, DurableTopic } from './bus.js';
export { Delivery, StreamConsumer } from './consumer.js';
export { SwarmEventBus, InterSwarmMessenger } from './swarm.js';
export {
  readEntry, decodeText, encodeMessage, parsePriority, parseTimestamp, formatTimestamp, InvalidEnvelopeError,
  PRIORITY_NAMES, AUDITED_FIELDS, ENVELOPE_FIELDS,
} from './wire.js';
export { AgentBusError, NoRespondersError, RequestTimeoutError, InboxFullError, NonRetryableError } from './errors.js';
export * as keys from './keys.js';
