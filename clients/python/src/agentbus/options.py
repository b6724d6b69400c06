"""Settings of a bus, with the Java library's defaults (PROTOCOL.md section 5a names them)."""

from dataclasses import dataclass, replace

from .envelope import DEFAULT_MAX_PAYLOAD_BYTES
from .keys import DEFAULT_INBOX_RETENTION


@dataclass(frozen=True)
class BusOptions:
    """Immutable; derive a variant with ``options.but(max_attempts=3)``.

    The visibility timeout, the maximum attempts, the inbox retention and the payload limit are
    settings of an agent, not of one process: every instance of an agent, in any language, must use
    the same values (PROTOCOL.md section 5a)."""

    #: A send of the same message id within this window stores one entry.
    dedup_window_ms: int = 600_000
    #: A send to a band holding this many entries is refused (``InboxFullError``); 0 for no cap.
    max_inbox_length: int = 1_000_000
    #: Audit records kept per shard; 0 writes none.
    audit_cap: int = 100_000
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    #: An entry held this long without a lease extension is reclaimed by another instance.
    visibility_ms: int = 30_000
    max_attempts: int = 5
    #: Retry backoff: exponential from the base, capped, full jitter; at most the visibility timeout.
    backoff_base_ms: int = 1_000
    backoff_cap_ms: int = 30_000
    #: Leases of a message are extended for at most this long after it was read.
    max_lease_extension_ms: int = 30 * 60_000
    read_batch: int = 100
    read_block_ms: int = 1_000
    inbox_retention: int = DEFAULT_INBOX_RETENTION
    heartbeat_ms: int = 5_000
    presence_ttl_ms: int = 15_000
    shutdown_timeout_ms: int = 10_000
    request_timeout_ms: int = 30_000
    #: Messages a swarm pair's stream keeps for replay (Java SwarmOptions.messageHistory).
    messenger_history: int = 100

    def __post_init__(self):
        for name in ("dedup_window_ms", "visibility_ms", "max_attempts", "read_batch", "read_block_ms",
                     "heartbeat_ms", "presence_ttl_ms", "max_payload_bytes", "request_timeout_ms"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, was {getattr(self, name)}")
        for name in ("max_inbox_length", "audit_cap", "backoff_base_ms", "backoff_cap_ms", "inbox_retention",
                     "shutdown_timeout_ms", "max_lease_extension_ms", "messenger_history"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, was {getattr(self, name)}")

    def but(self, **changes) -> "BusOptions":
        return replace(self, **changes)
