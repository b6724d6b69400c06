"""The department seed's ``MessageBus`` interface, over the real at-least-once machinery.

Delivery choice: ``receive_messages`` is a pull. The messages it returns are held (pending, their
leases extended while this process runs) and acknowledged when the next ``receive_messages`` call is
made for the same agent, on ``await bus.ack(message)``, or on ``close()``. A caller that crashes
mid-batch acknowledges nothing: after the visibility timeout (30 s by default) another caller's
``receive_messages`` reclaims those messages and returns them again, with ``attempt`` raised. So a
message is never lost, and may be seen twice: make handling idempotent by ``message_id``.
"""

import asyncio
import json
from typing import AsyncIterator, Dict, List, Optional

from . import keys
from .bus import AgentBus
from .consumer import Consumer, Delivery
from .envelope import Envelope, format_timestamp, parse_priority
from .options import BusOptions

_PRIORITY_NAMES = {3: "low", 5: "normal", 7: "high", 8: "urgent", 9: "critical"}
_OPTIONAL_FIELDS = ("message_id", "reply_to", "correlation_id", "conversation_id")


def message_dict(envelope: Envelope, attempt: int = 1, entry_id: Optional[str] = None) -> dict:
    """A message as the seed's code reads it: the payload parsed, the priority by name where it has one,
    ``created_at`` beside ``timestamp``."""
    timestamp = format_timestamp(envelope.timestamp)
    return {"message_id": envelope.message_id, "from_agent": envelope.from_agent, "to_agent": envelope.to_agent,
            "message_type": envelope.message_type, "payload": envelope.data,
            "priority": _PRIORITY_NAMES.get(envelope.priority, envelope.priority), "timestamp": timestamp,
            "created_at": timestamp, "reply_to": envelope.reply_to, "correlation_id": envelope.correlation_id,
            "conversation_id": envelope.conversation_id, "attempt": attempt, "entry_id": entry_id}


class MessageBus:
    """The seed's interface: ``connect``, ``publish``/``subscribe`` (ephemeral), ``send_message`` and
    ``receive_messages`` (durable, at least once: see the module's documentation), ``close``."""

    def __init__(self, redis_url: str = "redis://localhost:6379", agent_id: Optional[str] = None,
                 options: Optional[BusOptions] = None):
        self.redis_url = redis_url
        self.agent_id = agent_id
        self.options = options
        self.bus: Optional[AgentBus] = None
        self._pullers: Dict[str, Consumer] = {}
        self._outstanding: Dict[str, List[Delivery]] = {}

    async def connect(self) -> None:
        self.bus = await AgentBus.connect(self.redis_url, self.options)

    async def close(self) -> None:
        """Acknowledges what ``receive_messages`` returned, then stops and disconnects."""
        if self.bus is None:
            return
        for agent in list(self._outstanding):
            await self._ack_outstanding(agent)
        await self.bus.close()
        self.bus = None

    def _envelope(self, to_agent: str, message: dict) -> Envelope:
        from_agent = message.get("from_agent") or self.agent_id
        if not from_agent:
            raise ValueError("the message has no from_agent and this MessageBus no agent_id")
        priority = message.get("priority", 5)
        if isinstance(priority, str):
            priority = parse_priority(priority)
        optional = {name: message[name] for name in _OPTIONAL_FIELDS if message.get(name) is not None}
        return Envelope.create(from_agent, to_agent, message.get("message_type", "message"),
                               message.get("payload", {}), priority=priority, **optional)

    async def send_message(self, to_agent: str, message: dict) -> str:
        """Sends durably to ``to_agent``'s inbox; returns the message id (a retried send with the same
        ``message_id`` within the dedup window stores nothing new)."""
        receipt = await self.bus.send(self._envelope(to_agent, message))
        return receipt.message_id

    async def receive_messages(self, agent_id: str, count: int = 10, block_ms: int = 1000) -> List[dict]:
        """Up to ``count`` messages of ``agent_id``, waiting up to ``block_ms`` for the first; acks
        what the previous call returned for this agent first."""
        await self._ack_outstanding(agent_id)
        puller = self._pullers.get(agent_id)
        if puller is None:
            puller = Consumer(self.bus, agent_id, keys.inbox_bands(agent_id, self.bus.options.inbox_retention), None,
                              self.bus.options, agent=agent_id)
            await self.bus._start(puller, push=False)
            self._pullers[agent_id] = puller
        deliveries = []
        for entry in await puller.take(count, block_ms):
            delivery = await puller.open(entry)
            if delivery is not None:
                deliveries.append(delivery)
        self._outstanding[agent_id] = deliveries
        return [message_dict(d.envelope, d.attempt, d.entry_id) for d in deliveries]

    async def ack(self, message: dict) -> None:
        """Acknowledges one message returned by ``receive_messages`` now."""
        agent = message["to_agent"]
        for delivery in list(self._outstanding.get(agent, [])):
            if delivery.entry_id == message.get("entry_id"):
                await self._pullers[agent].ack(delivery.stream, [(delivery.entry_id, delivery.envelope,
                                                                  delivery.attempt)])
                self._outstanding[agent].remove(delivery)

    async def _ack_outstanding(self, agent: str) -> None:
        deliveries = self._outstanding.pop(agent, [])
        by_stream: Dict[str, list] = {}
        for delivery in deliveries:
            by_stream.setdefault(delivery.stream.key, []).append(delivery)
        for batch in by_stream.values():
            await self._pullers[agent].ack(batch[0].stream, [(d.entry_id, d.envelope, d.attempt) for d in batch])

    async def publish(self, channel: str, message: dict) -> int:
        """Broadcasts ``message`` on ``channel`` (ephemeral: who does not listen now never gets it);
        returns how many subscribers got it."""
        return await self.bus.publish(channel, self._envelope(message.get("to_agent", "broadcast"), message))

    async def subscribe(self, channel: str) -> AsyncIterator[dict]:
        """The messages broadcast on ``channel`` (a glob pattern too) from now on, as message dicts."""
        queue: asyncio.Queue = asyncio.Queue()
        listener = await self.bus.listen(channel, lambda envelope, on: queue.put_nowait(envelope))
        try:
            while True:
                yield message_dict(await queue.get())
        finally:
            await listener.stop()
