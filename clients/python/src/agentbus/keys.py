"""Key names of the protocol (PROTOCOL.md sections 2, 8, 11, 12, 14, 14a), in one place."""

from dataclasses import dataclass
from typing import List, Optional

INBOX_GROUP = "agentbus"
MESSENGER_GROUP = "swarm"
KNOWN_AGENTS = "agents:known"
LIVE_AGENTS = "agents:live"
AUDIT_SHARDS = "audit:shards"
PRESENCE_CHANNEL = "events:agents:presence"
HIGH_BAND_LOWEST = 7
NORMAL_BAND_LOWEST = 4


def agent_key(agent: str, suffix: str) -> str:
    return f"agent:{{{agent}}}:{suffix}"


def band_suffix(priority: int) -> str:
    if priority >= HIGH_BAND_LOWEST:
        return ":high"
    return "" if priority >= NORMAL_BAND_LOWEST else ":low"


def inbox(agent: str, priority: int) -> str:
    return agent_key(agent, "inbox" + band_suffix(priority))


def hash_tag(key: str) -> str:
    """What stands between a key's first ``{`` and the next ``}``."""
    start = key.index("{") + 1
    return key[start:key.index("}", start)]


def counters(key: str) -> str:
    """The counters hash of the agent, topic or swarm pair a stream belongs to."""
    return key[:key.index("}") + 1] + ":counters"


def audit_messages(tag: str) -> str:
    return f"audit:messages:{{{tag}}}"


def topic(name: str) -> str:
    return f"topic:{{{name}}}"


def swarm_event(swarm: str, event_type: str) -> str:
    return f"event:{{{swarm}}}:{event_type}"


def swarm_messages(from_swarm: str, to_swarm: str) -> str:
    return f"message:{from_swarm}:{{{to_swarm}}}"


def swarm_senders(to_swarm: str) -> str:
    return f"swarm:{{{to_swarm}}}:senders"


@dataclass(frozen=True)
class ConsumedStream:
    """A stream read by a consumer group, with the keys its settling steps touch: an inbox band, a
    durable topic, a swarm pair. ``retention`` (max length) is set for inbox bands, which their consumer
    trims every 1,000 acks; ``start_id`` is where a new group starts."""

    key: str
    group: str
    dead_letters: str
    failures: str
    start_id: str = "0"
    retention: Optional[int] = None

    @property
    def counters(self) -> str:
        return counters(self.key)

    @property
    def audit_shard(self) -> str:
        return audit_messages(hash_tag(self.key))


#: Handled entries an inbox keeps (Java ConsumerOptions.DEFAULT_INBOX_RETENTION).
DEFAULT_INBOX_RETENTION = 10_000


def inbox_bands(agent: str, retention: int = DEFAULT_INBOX_RETENTION) -> List[ConsumedStream]:
    """The three bands of an agent's inbox, highest first, as one consumer reads them."""
    return [ConsumedStream(agent_key(agent, "inbox" + suffix), INBOX_GROUP, agent_key(agent, "dlq"),
                           agent_key(agent, "failures" + suffix), "0", retention)
            for suffix in (":high", "", ":low")]


def topic_stream(name: str, group: str, start_id: str) -> ConsumedStream:
    key = topic(name)
    return ConsumedStream(key, group, f"{key}:dlq:{group}", f"{key}:failures:{group}", start_id)


def swarm_stream(from_swarm: str, to_swarm: str) -> ConsumedStream:
    key = swarm_messages(from_swarm, to_swarm)
    return ConsumedStream(key, MESSENGER_GROUP, f"{key}:dlq:{MESSENGER_GROUP}", f"{key}:failures:{MESSENGER_GROUP}")
