"""Ephemeral broadcast (PROTOCOL.md section 9): a PUBLISH of the message's wire fields as one JSON
object plus ``publisher`` and ``sequence``; a listener counts, per publisher and channel, the
sequence numbers it skipped (the messages it missed)."""

import asyncio
import inspect
import json
import logging
from typing import Callable, Dict

from .envelope import DeadLetterVerdict, Envelope, decode_text

log = logging.getLogger("agentbus")

GLOB_CHARACTERS = frozenset("*?[")


def broadcast_fields(envelope: Envelope, publisher: str, sequence: int) -> Dict[str, str]:
    return dict(envelope.to_fields(), publisher=publisher, sequence=str(sequence))


class Listener:
    """One PSUBSCRIBE (or SUBSCRIBE when the pattern has no glob character) on its own connection;
    redis-py subscribes again after a reconnect. ``gaps`` is the number of messages missed so far."""

    def __init__(self, redis, pattern: str, handler: Callable[[Envelope, str], None]):
        self.pattern = pattern
        self.handler = handler
        self.gaps = 0
        self.received = 0
        self._pubsub = redis.pubsub()
        self._last_sequence: Dict[str, int] = {}
        self._stopping = False
        self._task = None

    async def start(self) -> None:
        if GLOB_CHARACTERS & set(self.pattern):
            await self._pubsub.psubscribe(self.pattern)
        else:
            await self._pubsub.subscribe(self.pattern)
        # Wait for the confirmation: once it came, every later PUBLISH reaches this listener.
        while await self._pubsub.get_message(timeout=1.0) is None:
            pass
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            await self._task
        await self._pubsub.close()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            except Exception as e:
                log.warning("listening on %s failed, trying again: %s", self.pattern, e)
                await asyncio.sleep(0.5)
                continue
            if message is None or message["type"] not in ("message", "pmessage"):
                continue
            channel = message["channel"].decode("utf-8", "replace")
            envelope = self._decode(channel, message["data"])
            if envelope is not None:
                try:
                    result = self.handler(envelope, channel)
                    if inspect.isawaitable(result):
                        await result
                except Exception as e:
                    log.warning("the handler of %s failed on %s: %s", self.pattern, envelope.message_id, e)

    def _decode(self, channel: str, data: bytes):
        try:
            fields = json.loads(data.decode("utf-8"))
        except ValueError:
            log.warning("a broadcast on %s is not a JSON object; dropped", channel)
            return None
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            log.warning("a broadcast on %s is not a JSON object of strings; dropped", channel)
            return None
        publisher, sequence = fields.pop("publisher", None), fields.pop("sequence", None)
        decoded = decode_text(fields)
        if isinstance(decoded, DeadLetterVerdict):
            log.warning("a broadcast on %s is not a message (%s %s); dropped", channel, decoded.reason, decoded.field)
            return None
        self.received += 1
        if publisher is not None and sequence is not None and sequence.isdigit():
            number = int(sequence)
            last = self._last_sequence.get(publisher + "\n" + channel)
            self._last_sequence[publisher + "\n" + channel] = number
            if last is not None and number > last + 1:
                self.gaps += number - last - 1
        return decoded
