"""One running instance of a consumer group: an agent's inbox (three bands), a durable topic's
subscriber group, or a swarm's receiver (PROTOCOL.md sections 5, 5a, 6, 8, 14a).

Reading. One ``XREADGROUP … BLOCK`` names every stream, highest band first, and what came from a
higher band is handled before anything from a lower one. Entries read with ``>`` are attempt 1.

Settling. Each entry is settled exactly once by this instance: ``ack.lua`` (counted and audited),
``retry_later.lua`` (pending under this consumer with its idle time set to visibility − delay, so the
reclaim delivers it again after the delay) or ``dead_letter.lua`` (copied to dead letters, acked, in
one step). An undecodable entry is dead-lettered with the reason of protocol/vectors; it never stops
the loop. A consumer that dies settles nothing: its entries stay pending and are reclaimed.

Reclaim. Every quarter of the visibility timeout (sooner when a retry is due), ``claim.lua`` in
``idle`` mode walks ``XAUTOCLAIM`` over each stream; the attempt is the delivery counter it returns,
and an entry delivered more often than the maximum attempts goes to dead letters (``max_attempts``)
unhandled. After a read failed (a lost connection may have lost a read's reply) the walk starts with
this consumer's own pending entries (``own`` mode).

Leases. A separate task extends, every third of the visibility timeout, the leases of every entry
held (read and not settled) with ``extend_lease.lua``, for at most ``max_lease_extension_ms``.

Concurrency. Everything runs on the bus's event loop; handlers run one at a time, in order, so a
slow handler delays the next message of this instance, never another instance's.

An agent's inbox consumer also does the agent's duties: ``move_due.lua`` every second, a heartbeat
with ``presence.lua`` every 5 s, trimming each band every 1,000 acks (``trim.lua``), and on stop
``release_consumer.lua`` and leaving the presence indexes.
"""

import asyncio
import inspect
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError, TimeoutError as RedisTimeoutError

from . import keys
from .envelope import ENVELOPE_ALLOWANCE_BYTES, DeadLetterVerdict, Envelope, decode_entry
from .errors import NonRetryableError
from .options import BusOptions

log = logging.getLogger("agentbus")

TRIM_EVERY = 1_000
MOVE_BATCH = 100
MAX_DETAIL = 500


def now_ms() -> int:
    return int(time.time() * 1000)


def consumer_name() -> str:
    """Unique to this instance: ``<host>-<pid>-<random>``, as the Java library names its consumers."""
    return f"{socket.gethostname()}-{os.getpid()}-{random.getrandbits(32):08x}"


class Delivery:
    """A message handed to a handler: the envelope, which attempt this is (1 on first delivery), and
    what the handler may choose besides returning (ack) or raising (retry, then dead letter)."""

    def __init__(self, consumer: "Consumer", stream: keys.ConsumedStream, entry_id: str, envelope: Envelope,
                 attempt: int):
        self.envelope = envelope
        self.attempt = attempt
        self.entry_id = entry_id
        self.stream = stream
        self._consumer = consumer
        self._retry_ms: Optional[int] = None
        self._reject_reason: Optional[str] = None

    def retry_in(self, delay_ms: int) -> None:
        """Deliver again after ``delay_ms`` instead of acking (counts as a failed attempt)."""
        self._retry_ms = delay_ms

    def dead_letter(self, reason: str) -> None:
        """Move to dead letters as ``rejected`` with this reason instead of acking."""
        self._reject_reason = reason

    async def extend_lease(self) -> None:
        """Resets the lease now (the lease task does so anyway every third of the visibility timeout)."""
        await self._consumer.extend_leases(self.stream, [self.entry_id])

    async def reply(self, message_type: str, payload: Union[dict, str]):
        """Sends the reply of a request (§7): to its ``reply_to`` (else its sender), correlated with it."""
        request = self.envelope
        extensions = {name: request.extensions[name] for name in ("traceparent", "tracestate")
                      if name in request.extensions}
        reply = Envelope.create(self._consumer.owner, request.reply_to or request.from_agent, message_type, payload,
                                correlation_id=request.message_id, conversation_id=request.conversation_id,
                                extensions=extensions)
        return await self._consumer.bus.send(reply, index_recipient=False)


Handler = Callable[[Delivery], Union[None, Awaitable[None]]]


@dataclass
class _Taken:
    """An entry read or reclaimed, not settled yet."""
    stream: keys.ConsumedStream
    entry_id: str
    deliveries: int
    fields: Optional[List[Tuple[bytes, bytes]]]  # None: too large, not sent by the server
    size: int = 0


class Consumer:
    """One instance of ``group`` on ``streams`` (or on what ``discover`` returns, every second)."""

    def __init__(self, bus, owner: str, streams: Sequence[keys.ConsumedStream], handler: Optional[Handler],
                 options: BusOptions, *, agent: Optional[str] = None,
                 discover: Optional[Callable[[], Awaitable[List[keys.ConsumedStream]]]] = None,
                 intercept: Optional[Callable[[Envelope], bool]] = None):
        self.bus = bus
        self.owner = owner  # the agent, group or swarm this instance acts as (the from_agent of its replies)
        self.streams = list(streams)
        self.handler = handler
        self.options = options
        self.agent = agent  # set for an agent's inbox: then the agent's duties are this instance's too
        self.discover = discover
        self.intercept = intercept
        self.name = consumer_name()
        self.ready = asyncio.Event()
        self._redis = bus.redis
        self._scripts = bus.scripts
        self._held: Dict[Tuple[str, str], int] = {}  # (stream key, entry id) -> when read (ms)
        self._acks: Dict[str, int] = {}
        self._stopping = False
        self._recover_own = False
        self._next_reclaim = 0.0
        self._tasks: List[asyncio.Task] = []
        self._known_streams = set()

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def start(self, push: bool = True) -> "Consumer":
        if self.discover is not None:
            self.streams = await self.discover()
        for stream in self.streams:
            await self._ensure_group(stream)
        if self.agent is not None:
            await self._redis.sadd(keys.KNOWN_AGENTS, self.agent)
            await self._heartbeat()
            self._tasks.append(asyncio.ensure_future(self._every(self.options.heartbeat_ms, self._heartbeat)))
            self._tasks.append(asyncio.ensure_future(self._move_due_loop()))
        if self.discover is not None:
            self._tasks.append(asyncio.ensure_future(self._every(1_000, self._rediscover)))
        self._tasks.append(asyncio.ensure_future(self._every(self.options.visibility_ms // 3, self._extend_held)))
        if push:
            self._tasks.append(asyncio.ensure_future(self._run()))
        else:
            self.ready.set()
        return self

    async def stop(self) -> None:
        """Stops reading, lets the handler in progress finish (within the shutdown timeout), releases
        the consumer if it holds nothing pending and leaves the presence indexes. What was read and not
        settled stays pending, reclaimed by another instance after the visibility timeout."""
        if self._stopping:
            return
        self._stopping = True
        # The loops notice the flag within one blocking read: a command cancelled mid-flight could leave
        # its connection with an unread reply.
        done, pending = await asyncio.wait(self._tasks, timeout=self.options.shutdown_timeout_ms / 1000 + 2)
        for task in pending:
            task.cancel()
        try:
            for stream in self.streams:
                await self._scripts.release_consumer.run(self._redis, [stream.key], [stream.group, self.name])
            if self.agent is not None:
                await self._leave()
        except Exception as e:  # the instance is going away either way; its consumer is swept later
            log.warning("could not release consumer %s: %s", self.name, e)

    async def _every(self, period_ms: int, step: Callable[[], Awaitable[None]]) -> None:
        while not self._stopping:
            await self._sleep(period_ms)
            if self._stopping:
                return
            try:
                await step()
            except Exception as e:
                log.warning("%s of %s failed, tried again in %d ms: %s", step.__name__, self.name, period_ms, e)

    async def _sleep(self, period_ms: int) -> None:
        """Sleeps, waking early to notice a stop."""
        deadline = time.monotonic() + period_ms / 1000
        while not self._stopping and time.monotonic() < deadline:
            await asyncio.sleep(min(0.1, deadline - time.monotonic()))

    async def _ensure_group(self, stream: keys.ConsumedStream) -> None:
        try:
            await self._redis.xgroup_create(stream.key, stream.group, id=stream.start_id, mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
        await self._redis.xgroup_createconsumer(stream.key, stream.group, self.name)
        self._known_streams.add(stream.key)

    async def _rediscover(self) -> None:
        for stream in await self.discover():
            if stream.key not in self._known_streams:
                await self._ensure_group(stream)
                self.streams.append(stream)

    # --- the push loop --------------------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                taken = await self.take(self.options.read_batch, self._block_ms())
                failures = 0
            except (RedisConnectionError, RedisTimeoutError, OSError) as e:
                failures += 1
                self._recover_own = True
                log.warning("read as %s failed (%d in a row): %s", self.name, failures, e)
                await self._sleep(min(5_000, 100 * 2 ** min(failures, 6)))
                continue
            for entry in taken:
                delivery = await self.open(entry)
                if delivery is not None:
                    await self._handle(delivery)

    def _block_ms(self) -> int:
        until_reclaim = int((self._next_reclaim - time.monotonic()) * 1000)
        return max(1, min(self.options.read_block_ms, self.options.visibility_ms // 4, until_reclaim))

    async def _handle(self, delivery: Delivery) -> None:
        try:
            result = self.handler(delivery)
            if inspect.isawaitable(result):
                await result
        except NonRetryableError as e:
            await self.dead_letter(delivery.stream, delivery.entry_id, "non_retryable", "", _describe(e),
                                   delivery.attempt)
            return
        except Exception as e:
            await self.retry_or_give_up(delivery, self._backoff_ms(delivery.attempt), _describe(e))
            return
        if delivery._reject_reason is not None:
            await self.dead_letter(delivery.stream, delivery.entry_id, "rejected", "",
                                   delivery._reject_reason[:MAX_DETAIL], delivery.attempt)
        elif delivery._retry_ms is not None:
            await self.retry_or_give_up(delivery, delivery._retry_ms, f"handler asked to retry in {delivery._retry_ms} ms")
        else:
            await self.ack(delivery.stream, [(delivery.entry_id, delivery.envelope, delivery.attempt)])

    def _backoff_ms(self, attempt: int) -> int:
        ceiling = min(self.options.backoff_cap_ms, self.options.backoff_base_ms * 2 ** min(attempt - 1, 30))
        return random.randint(0, ceiling)

    # --- taking entries -------------------------------------------------------------------------------------

    async def take(self, count: int, block_ms: int) -> List[_Taken]:
        """Reclaimed entries when a reclaim is due, else a blocking read of new ones, highest band first.
        Every entry returned is held (its lease extended) until it is settled."""
        taken: List[_Taken] = []
        if self._recover_own or time.monotonic() >= self._next_reclaim:
            own = self._recover_own
            self._recover_own = False
            for stream in list(self.streams):
                taken += await self._claim_walk(stream, "own" if own else "idle", count)
            self._next_reclaim = time.monotonic() + self.options.visibility_ms / 4000
        if not taken:
            taken = await self._read(count, block_ms)
        for entry in taken:
            self._held[(entry.stream.key, entry.entry_id)] = now_ms()
        return taken

    async def _read(self, count: int, block_ms: int) -> List[_Taken]:
        streams = list(self.streams)
        self.ready.set()
        if not streams:
            await self._sleep(block_ms)
            return []
        try:
            reply = await self._redis.execute_command(
                "XREADGROUP", "GROUP", streams[0].group, self.name, "COUNT", count, "BLOCK", block_ms,
                "STREAMS", *[s.key for s in streams], *[">"] * len(streams))
        except ResponseError as e:
            if "NOGROUP" not in str(e):
                raise
            log.warning("a group of %s is gone; creating it again from the stream's first entry", self.owner)
            for stream in streams:
                await self._ensure_group(stream)
            return []
        by_key = {}
        for stream_key, entries in reply or []:
            by_key[stream_key.decode()] = entries
        largest = self._largest_entry()
        taken = []
        for stream in streams:  # in the order asked: highest band first
            for entry_id, flat in by_key.get(stream.key, []):
                if flat is None:
                    continue  # deleted while pending: the reclaim acknowledges it
                fields = list(zip(flat[0::2], flat[1::2]))
                size = sum(len(name) + len(value) for name, value in fields)
                taken.append(_Taken(stream, entry_id.decode(), 1, None if size > largest else fields, size))
        return taken

    async def _claim_walk(self, stream: keys.ConsumedStream, mode: str, count: int) -> List[_Taken]:
        taken, cursor = [], "0-0"
        while True:
            reply = await self._scripts.claim.run(self._redis, [stream.key], [
                stream.group, self.name, mode, cursor, count, self.options.visibility_ms,
                8 * 1024 * 1024, self._largest_entry()])
            cursor = reply[0].decode()
            for entry_id, deliveries, flat in reply[2]:
                taken.append(_Taken(stream, entry_id.decode(), int(deliveries), list(zip(flat[0::2], flat[1::2]))))
            for entry_id, deliveries, size in reply[3]:
                taken.append(_Taken(stream, entry_id.decode(), int(deliveries), None, int(size)))
            if cursor == "0-0" or len(taken) >= count:
                return taken

    def _largest_entry(self) -> int:
        return self.options.max_payload_bytes + ENVELOPE_ALLOWANCE_BYTES

    async def open(self, entry: _Taken) -> Optional[Delivery]:
        """The delivery of an entry for a handler, or None when it was settled here: dead-lettered
        (undecodable, too often delivered, expired) or a reply that completes a pending request."""
        stream, attempts = entry.stream, entry.deliveries
        if entry.fields is None:
            await self.dead_letter(stream, entry.entry_id, "too_large", "",
                                   f"the entry is {entry.size} bytes, more than the limit of {self._largest_entry()}",
                                   attempts)
            return None
        verdict = decode_entry(entry.fields, max_field_bytes=self.options.max_payload_bytes, check_expiry=False)
        if isinstance(verdict, DeadLetterVerdict):
            await self.dead_letter(stream, entry.entry_id, verdict.reason, verdict.field, verdict.detail, attempts)
            return None
        if attempts > self.options.max_attempts:
            await self.dead_letter(stream, entry.entry_id, "max_attempts", "",
                                   f"delivered {attempts} times without an outcome (max {self.options.max_attempts}):"
                                   " the consumers holding it died or their leases expired", attempts)
            return None
        if verdict.is_expired_at(now_ms()):
            await self.dead_letter(stream, entry.entry_id, "expired", "expires_at",
                                   f"expired at {verdict.to_fields()['expires_at']}", attempts)
            return None
        if self.intercept is not None and self.intercept(verdict):
            await self.ack(stream, [(entry.entry_id, verdict, attempts)])
            return None
        return Delivery(self, stream, entry.entry_id, verdict, attempts)

    # --- settling -------------------------------------------------------------------------------------------

    async def ack(self, stream: keys.ConsumedStream, handled: List[Tuple[str, Envelope, int]]) -> int:
        """Acks handled entries of one stream (ack.lua: counted and audited); then forgets the failure
        records of retried ones, and trims an inbox band every 1,000 acks."""
        audit_cap = self.options.audit_cap
        args = [stream.group, self.name, audit_cap, len(handled)] + [entry_id for entry_id, _, _ in handled]
        if audit_cap > 0:
            for _, envelope, _ in handled:
                args += envelope.audited_values()
        acked = await self._scripts.ack.run(self._redis, [stream.key, await self.bus.audit_shard(stream.key),
                                                         stream.counters], args)
        retried = [entry_id for entry_id, _, attempt in handled if attempt > 1]
        if retried:
            await self._redis.hdel(stream.failures, *retried)
        for entry_id, _, _ in handled:
            self._held.pop((stream.key, entry_id), None)
        if stream.retention is not None:
            before = self._acks.get(stream.key, 0)
            self._acks[stream.key] = before + len(handled)
            if before // TRIM_EVERY != self._acks[stream.key] // TRIM_EVERY:
                await self._scripts.trim.run(self._redis, [stream.key], [stream.retention, 0])
        return int(acked)

    async def retry_or_give_up(self, delivery: Delivery, delay_ms: int, why: str) -> None:
        if delivery.attempt >= self.options.max_attempts:
            await self.dead_letter(delivery.stream, delivery.entry_id, "max_attempts", "",
                                   f"attempt {delivery.attempt} of {self.options.max_attempts} failed: {why}"[:MAX_DETAIL],
                                   delivery.attempt)
            return
        delay_ms = min(max(0, delay_ms), self.options.visibility_ms)
        stream = delivery.stream
        await self._scripts.retry_later.run(self._redis, [
            stream.key, stream.failures, await self.bus.audit_shard(stream.key), stream.counters], [
            stream.group, self.name, delivery.entry_id, self.options.visibility_ms - delay_ms, now_ms(),
            self.options.audit_cap, delivery.attempt, why[:MAX_DETAIL]])
        self._held.pop((stream.key, delivery.entry_id), None)
        # Reclaim when the retry is due rather than at the next quarter of the visibility timeout.
        self._next_reclaim = min(self._next_reclaim, time.monotonic() + delay_ms / 1000)

    async def dead_letter(self, stream: keys.ConsumedStream, entry_id: str, reason: str, field: str, detail: str,
                          attempts: int) -> None:
        await self._scripts.dead_letter.run(self._redis, [
            stream.key, stream.dead_letters, stream.failures, await self.bus.audit_shard(stream.key),
            stream.counters], [stream.group, entry_id, reason, field, detail, self.name, now_ms(), attempts,
                               self.options.audit_cap])
        self._held.pop((stream.key, entry_id), None)
        log.warning("%s of %s dead-lettered: %s %s %s", entry_id, stream.key, reason, field, detail)

    # --- leases ---------------------------------------------------------------------------------------------

    async def extend_leases(self, stream: keys.ConsumedStream, entry_ids: List[str]) -> List[str]:
        """Extends the leases of entries this consumer still owns; returns those it lost."""
        lost = await self._scripts.extend_lease.run(self._redis, [stream.key], [stream.group, self.name, *entry_ids])
        return [entry_id.decode() for entry_id in lost]

    async def _extend_held(self) -> None:
        oldest = now_ms() - self.options.max_lease_extension_ms
        for stream in list(self.streams):
            ids = [entry_id for (key, entry_id), read_at in list(self._held.items())
                   if key == stream.key and read_at >= oldest]
            if ids:
                lost = await self.extend_leases(stream, ids)
                if lost:
                    log.warning("%d entries of %s were reclaimed by another instance while %s held them",
                                len(lost), stream.key, self.name)

    # --- the agent's duties ---------------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        joined, left = await self._scripts.presence.run(self._redis, [keys.LIVE_AGENTS],
                                                        [self.agent, self.options.presence_ttl_ms])
        now = now_ms()
        instances = keys.agent_key(self.agent, "instances")
        await self._redis.zremrangebyscore(instances, "-inf", now)
        await self._redis.zadd(instances, {self.name: now + self.options.presence_ttl_ms})
        if joined:
            await self.bus.announce_presence("agent.joined", self.agent)
        for agent in left:
            await self.bus.announce_presence("agent.left", agent.decode())

    async def _move_due_loop(self) -> None:
        agent = self.agent
        while not self._stopping:
            wait_ms = 1_000
            try:
                moved, next_due, _ = await self._scripts.move_due.run(self._redis, [
                    keys.agent_key(agent, "delayed"), *[band.key for band in keys.inbox_bands(agent)],
                    keys.agent_key(agent, "dlq"), keys.agent_key(agent, "counters")], [MOVE_BATCH, now_ms()])
                wait_ms = 0 if moved == MOVE_BATCH else (1_000 if next_due < 0 else min(1_000, max(1, next_due)))
            except Exception as e:
                log.warning("moving due messages of %s failed: %s", agent, e)
            await self._sleep(wait_ms)

    async def _leave(self) -> None:
        instances = keys.agent_key(self.agent, "instances")
        await self._redis.zrem(instances, self.name)
        if not await self._redis.zrangebyscore(instances, now_ms(), "+inf", start=0, num=1):
            await self._redis.zrem(keys.LIVE_AGENTS, self.agent)


def _describe(failure: BaseException) -> str:
    return f"{type(failure).__name__}: {failure}"[:MAX_DETAIL]
