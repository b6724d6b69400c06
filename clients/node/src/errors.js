// What the bus throws besides InvalidEnvelopeError (wire.js): expected outcomes are values (a
// duplicate send is a receipt marked duplicate), failures of the world are these.

export class AgentBusError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** A request to an agent that never had a running instance: its inbox has no consumer group (section 7). */
export class NoRespondersError extends AgentBusError {}

/** No reply in time. The request may still be handled later; a late reply is acknowledged and dropped. */
export class RequestTimeoutError extends AgentBusError {}

/** The recipient's inbox band holds as many entries as its cap: nothing was stored (send.lua {-2}). */
export class InboxFullError extends AgentBusError {}

/** Thrown by a handler: the failure is permanent, the message goes to dead letters at once (non_retryable). */
export class NonRetryableError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}
