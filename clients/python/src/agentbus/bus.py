"""The bus: one Redis connection pool and every way to send and receive (PROTOCOL.md)."""

import asyncio
import json
import logging
import os
import random
import socket
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional, Union

import redis.asyncio as aioredis

from . import keys
from .broadcast import Listener, broadcast_fields
from .consumer import Consumer, Handler, now_ms
from .envelope import Envelope, check_agent_id
from .errors import InboxFullError, NoRespondersError, RequestTimeoutError
from .options import BusOptions
from .scripts import Scripts

log = logging.getLogger("agentbus")


@dataclass(frozen=True)
class SendReceipt:
    """A stored send: the entry id Redis gave it (``''`` when delayed), or, for a duplicate within the
    dedup window, the entry id of the first send (``'delayed'`` if that one waits in the delayed set)."""

    message_id: str
    entry_id: str
    duplicate: bool


class AgentBus:
    """A connection to the bus. One per process: it holds a connection pool; every method is a
    coroutine of the event loop that connected it. ``close()`` stops every subscription first."""

    def __init__(self, redis, options: BusOptions):
        self.redis = redis
        self.options = options
        self.scripts = Scripts()
        self.publisher_id = f"{socket.gethostname()}-{os.getpid()}-{random.getrandbits(32):08x}"
        self._sequences: Dict[str, int] = {}
        self._known_agents = set()
        self._known_shards = set()
        self._consumers: List[Consumer] = []
        self._listeners: List[Listener] = []
        self._pending_requests: Dict[str, asyncio.Future] = {}
        self._timed_out_requests: Dict[str, None] = {}

    @classmethod
    async def connect(cls, url: str = "redis://localhost:6379", options: Optional[BusOptions] = None) -> "AgentBus":
        """Connects to ``url`` (``redis://[:password@]host:port[/db]``) and checks the server answers."""
        redis = aioredis.from_url(url, decode_responses=False)
        # Raw replies: redis-py's parsing of XREADGROUP keeps one value of a field named twice.
        redis.set_response_callback("XREADGROUP", lambda response, **options: response)
        await redis.ping()
        return cls(redis, options or BusOptions())

    async def close(self) -> None:
        for consumer in list(self._consumers):
            await consumer.stop()
        for listener in list(self._listeners):
            await listener.stop()
        await self.redis.close()
        await self.redis.connection_pool.disconnect()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    # --- sending --------------------------------------------------------------------------------------------

    async def send(self, envelope: Envelope, *, delay_ms: int = 0, require_group: bool = False,
                   index_recipient: bool = True) -> SendReceipt:
        """Sends to the recipient's inbox band of the message's priority with ``send.lua`` (deduplicated
        by message id within the dedup window), or, with ``delay_ms`` > 0, schedules it with
        ``schedule.lua``. ``require_group``: refuse (``NoRespondersError``) if nobody ever listened."""
        self._check_size(envelope)
        to = envelope.to_agent
        if index_recipient and to not in self._known_agents:
            await self.redis.sadd(keys.KNOWN_AGENTS, to)
            self._known_agents.add(to)
        dedup = keys.agent_key(to, "dedup:" + envelope.message_id)
        if delay_ms > 0:
            stored, first = await self.scripts.schedule.run(self.redis, [
                keys.agent_key(to, "delayed"), dedup, keys.agent_key(to, "counters")], [
                self.options.dedup_window_ms, now_ms() + delay_ms,
                json.dumps(envelope.to_fields(), ensure_ascii=False)])
            return SendReceipt(envelope.message_id, first.decode(), stored == 0)
        return await self._append(keys.inbox(to, envelope.priority), dedup, envelope,
                                  keys.INBOX_GROUP if require_group else "", self.options.max_inbox_length)

    async def _append(self, stream: str, dedup: str, envelope: Envelope, required_group: str, max_length: int,
                      receivers: Optional[List[str]] = None) -> SendReceipt:
        stream_keys = [stream, dedup, await self.audit_shard(stream), keys.counters(stream)]
        args = [self.options.dedup_window_ms, required_group, max_length, self.options.audit_cap]
        if receivers is not None:  # a swarm message: the senders index, the sending swarm, the group
            stream_keys.append(receivers[0])
            args += receivers[1:]
        for name, value in envelope.to_fields().items():
            args += [name, value]
        outcome, entry_id = await self.scripts.send.run(self.redis, stream_keys, args)
        if outcome == -1:
            raise NoRespondersError(f"no responders: {envelope.to_agent} never listened ({stream} has no group "
                                    f"{required_group})")
        if outcome == -2:
            raise InboxFullError(f"{stream} holds {max_length} entries, its cap; {envelope.message_id} was not stored")
        return SendReceipt(envelope.message_id, entry_id.decode(), outcome == 0)

    def _check_size(self, envelope: Envelope) -> None:
        size = len(envelope.payload.encode("utf-8"))
        if size > self.options.max_payload_bytes:
            raise ValueError(f"payload of {envelope.message_id} is {size} bytes, more than max_payload_bytes "
                             f"{self.options.max_payload_bytes}")

    async def audit_shard(self, stream: str) -> str:
        """The audit shard of a stream's records; its tag is added to ``audit:shards`` on first use."""
        tag = keys.hash_tag(stream)
        if self.options.audit_cap > 0 and tag not in self._known_shards:
            await self.redis.sadd(keys.AUDIT_SHARDS, tag)
            self._known_shards.add(tag)  # after the SADD: a failed one is tried again next time
        return keys.audit_messages(tag)

    # --- receiving ------------------------------------------------------------------------------------------

    async def subscribe(self, agent: str, handler: Handler, **option_changes) -> Consumer:
        """Runs one instance of ``agent``: reads its three inbox bands and hands each message to
        ``handler`` (see ``Delivery``); options changed for this instance as keywords (``visibility_ms``…)."""
        check_agent_id("agent", agent)
        options = self.options.but(**option_changes)
        consumer = Consumer(self, agent, keys.inbox_bands(agent, options.inbox_retention), handler, options,
                            agent=agent, intercept=self._complete_request)
        return await self._start(consumer)

    async def _start(self, consumer: Consumer, push: bool = True) -> Consumer:
        self._consumers.append(consumer)
        await consumer.start(push)
        return consumer

    async def unsubscribe(self, consumer: Consumer) -> None:
        await consumer.stop()
        self._consumers.remove(consumer)

    async def dead_letters(self, agent: str, count: int = 1000) -> List[Dict[str, str]]:
        """The agent's dead letters, oldest first: each the original fields, the ``dlq_*`` fields and
        ``entry_id``."""
        entries = await self.redis.xrange(keys.agent_key(agent, "dlq"), count=count)
        return [dict({k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}, entry_id=entry_id.decode())
                for entry_id, fields in entries]

    # --- request/reply (section 7) --------------------------------------------------------------------------

    async def request(self, envelope: Envelope, timeout_ms: Optional[int] = None) -> Envelope:
        """Sends a request and waits for its reply. The requester (``envelope.from_agent``, or its
        ``reply_to``) must be subscribed on this bus: the reply comes to its inbox."""
        reply_to = envelope.reply_to or envelope.from_agent
        if not any(c.agent == reply_to for c in self._consumers):
            raise ValueError(f"request from {reply_to}: subscribe {reply_to} on this bus first, its replies come "
                             f"to its inbox")
        if envelope.reply_to is None:
            envelope = replace(envelope, reply_to=reply_to)
        timeout_ms = timeout_ms or self.options.request_timeout_ms
        future = asyncio.get_running_loop().create_future()
        self._pending_requests[envelope.message_id] = future
        try:
            await self.send(envelope, require_group=True)
            return await asyncio.wait_for(future, timeout_ms / 1000)
        except asyncio.TimeoutError:
            self._timed_out_requests[envelope.message_id] = None
            while len(self._timed_out_requests) > 10_000:
                del self._timed_out_requests[next(iter(self._timed_out_requests))]
            raise RequestTimeoutError(envelope.message_id, timeout_ms) from None
        finally:
            self._pending_requests.pop(envelope.message_id, None)

    def _complete_request(self, message: Envelope) -> bool:
        """Whether a message is a reply this bus awaits (or awaited): then it is acked, not handled."""
        if message.correlation_id is None:
            return False
        future = self._pending_requests.get(message.correlation_id)
        if future is not None:
            if not future.done():
                future.set_result(message)
            return True
        return message.correlation_id in self._timed_out_requests

    # --- broadcast (section 9) ------------------------------------------------------------------------------

    async def publish(self, channel: str, envelope: Envelope) -> int:
        """Broadcasts on a channel; returns how many subscribers got it (0: nobody listened, it is gone)."""
        self._check_size(envelope)
        sequence = self._sequences.get(channel, 0) + 1
        self._sequences[channel] = sequence
        message = broadcast_fields(envelope, self.publisher_id, sequence)
        return await self.redis.publish(channel, json.dumps(message, ensure_ascii=False))

    async def listen(self, pattern: str, handler: Callable[[Envelope, str], None]) -> Listener:
        """Listens on a channel, or a glob pattern; ``handler(envelope, channel)``; the listener counts
        the sequence gaps (missed messages) per publisher and channel."""
        listener = Listener(self.redis, pattern, handler)
        await listener.start()
        self._listeners.append(listener)
        return listener

    async def announce_presence(self, event: str, agent: str) -> None:
        envelope = Envelope.create(agent, "events", event, {"agent": agent})
        await self.publish(keys.PRESENCE_CHANNEL, envelope)

    # --- durable topics (section 8) -------------------------------------------------------------------------

    async def topic_publish(self, topic: str, envelope: Envelope) -> SendReceipt:
        """Appends to ``topic:{<topic>}``, deduplicated by message id. This client sets no topic
        retention: trim with ``trim.lua`` (or the Java library's topic retention)."""
        check_agent_id("topic", topic)
        self._check_size(envelope)
        stream = keys.topic(topic)
        return await self._append(stream, f"{stream}:dedup:{envelope.message_id}", envelope, "", 0)

    async def topic_subscribe(self, topic: str, group: str, handler: Handler, *, from_start: bool = False,
                              **option_changes) -> Consumer:
        """Runs one instance of subscriber ``group`` of the topic; a new group starts at the newest entry
        (``$``), or at the oldest retained with ``from_start``."""
        check_agent_id("topic", topic)
        check_agent_id("group", group)
        stream = keys.topic_stream(topic, group, "0" if from_start else "$")
        return await self._start(Consumer(self, group, [stream], handler, self.options.but(**option_changes)))

    # --- swarms (sections 14, 14a) --------------------------------------------------------------------------

    async def swarm_publish(self, swarm: str, event_type: str, data: Union[dict, str, None] = None,
                            priority: Union[int, str] = 5) -> int:
        """Broadcasts a swarm event on ``event:{<swarm>}:<type>`` (no rate limit in this client)."""
        check_agent_id("swarm", swarm)
        envelope = Envelope.create(swarm, swarm, event_type, data, priority=priority)
        return await self.publish(keys.swarm_event(swarm, event_type), envelope)

    async def swarm_listen(self, swarm: str, type_pattern: str, handler: Callable[[Envelope, str], None]) -> Listener:
        check_agent_id("swarm", swarm)
        return await self.listen(keys.swarm_event(swarm, type_pattern), handler)

    async def messenger_send(self, envelope: Envelope) -> SendReceipt:
        """Sends from swarm ``from_agent`` to swarm ``to_agent`` on ``message:<from>:{<to>}``, then trims
        that stream to the history (never past what the receivers have not settled)."""
        self._check_size(envelope)
        stream = keys.swarm_messages(envelope.from_agent, envelope.to_agent)
        receipt = await self._append(stream, f"{stream}:dedup:{envelope.message_id}", envelope, "", 0, [
            keys.swarm_senders(envelope.to_agent), envelope.from_agent, keys.MESSENGER_GROUP])
        await self.scripts.trim.run(self.redis, [stream], [self.options.messenger_history, 0])
        return receipt

    async def messenger_receive(self, swarm: str, handler: Handler, **option_changes) -> Consumer:
        """Runs one receiving instance of ``swarm``: group ``swarm`` on the stream of every sender in
        ``swarm:{<swarm>}:senders``, read at start and then every second."""
        check_agent_id("swarm", swarm)

        async def senders() -> List[keys.ConsumedStream]:
            members = await self.redis.smembers(keys.swarm_senders(swarm))
            return [keys.swarm_stream(member.decode(), swarm) for member in sorted(members)]

        return await self._start(Consumer(self, swarm, [], handler, self.options.but(**option_changes),
                                          discover=senders))
