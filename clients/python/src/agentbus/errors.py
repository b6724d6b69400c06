"""What can go wrong. Caller mistakes are ``ValueError`` (``InvalidEnvelopeError`` for a message that
breaks a protocol rule); the world failing is an ``AgentBusError``."""

from .envelope import InvalidEnvelopeError  # noqa: F401  (re-exported: one place to import errors from)


class AgentBusError(Exception):
    """Root of the bus's own failures."""


class NoRespondersError(AgentBusError):
    """A request to an agent whose inbox has no consumer group: nobody ever listened (PROTOCOL.md §7)."""


class InboxFullError(AgentBusError):
    """The recipient's band stream holds as many entries as its cap; nothing was stored."""


class RequestTimeoutError(AgentBusError):
    """No reply in time. The request may still be handled, and its reply is then acked and dropped."""

    def __init__(self, correlation_id: str, timeout_ms: int):
        super().__init__(f"no reply to {correlation_id} within {timeout_ms} ms; the request may yet be handled")
        self.correlation_id = correlation_id
        self.timeout_ms = timeout_ms


class NonRetryableError(Exception):
    """Raised by a handler: the failure is permanent, the message goes to dead letters at once
    (``non_retryable``) instead of being retried."""
