"""The interop driver, a tiny CLI: ``python3 -m agentbus <command> --redis URL …``.

stdout holds only JSON Lines; stderr the diagnostics and the ``ready …`` lines that tests wait for.
Exit codes: 0 done, 1 failure, 2 usage error, 3 timed out before ``--count`` was reached."""

import argparse
import asyncio
import json
import logging
import sys
from typing import Optional

from . import __version__, keys
from .bus import AgentBus
from .consumer import Delivery
from .envelope import Envelope, InvalidEnvelopeError, parse_priority
from .errors import NoRespondersError, RequestTimeoutError
from .options import BusOptions
from .vectors import verdicts

EXIT_FAILURE, EXIT_USAGE, EXIT_TIMEOUT = 1, 2, 3
#: The driver's retries are quick so that tests of retries and dead letters are too.
DRIVER_BACKOFF_MS = 200


class UsageError(Exception):
    pass


def emit(document: dict) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def delivery_line(envelope: Envelope, attempt: int = 1, entry_id: Optional[str] = None) -> dict:
    return {"message_id": envelope.message_id, "from_agent": envelope.from_agent, "to_agent": envelope.to_agent,
            "message_type": envelope.message_type, "payload": envelope.data, "priority": envelope.priority,
            "attempt": attempt, "correlation_id": envelope.correlation_id, "reply_to": envelope.reply_to,
            "conversation_id": envelope.conversation_id, "entry_id": entry_id}


def json_object(text: str, option: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise UsageError(f"{option} must be a JSON object, was {text!r}: {e}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} must be a JSON object, was {text!r}")
    return value


def priority(text: str) -> int:
    try:
        return parse_priority(text)
    except InvalidEnvelopeError as e:
        raise UsageError(f"--priority {e}") from None


class Counter:
    """Counts handled deliveries toward ``--count``; ``done`` is set when it is reached."""

    def __init__(self, target: int):
        self.target = target
        self.count = 0
        self.done = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()


async def until_done(counter: Counter, timeout_ms: int) -> int:
    try:
        await asyncio.wait_for(counter.done.wait(), timeout_ms / 1000)
        return 0
    except asyncio.TimeoutError:
        note(f"timed out after {timeout_ms} ms with {counter.count} of {counter.target}")
        return EXIT_TIMEOUT


# --- commands -----------------------------------------------------------------------------------------------

async def cmd_send(bus: AgentBus, args) -> int:
    envelope = Envelope.create(args.from_agent, args.to, args.type, json_object(args.payload, "--payload"),
                               priority=priority(args.priority), message_id=args.message_id)
    receipt = await bus.send(envelope, delay_ms=args.delay_ms)
    emit({"message_id": receipt.message_id, "entry_id": receipt.entry_id if args.delay_ms <= 0 else None,
          "duplicate": receipt.duplicate})
    return 0


async def cmd_receive(bus: AgentBus, args) -> int:
    counter = Counter(args.count)
    max_attempts = args.max_attempts

    async def handle(delivery: Delivery) -> None:
        emit(delivery_line(delivery.envelope, delivery.attempt, delivery.entry_id))
        if args.hold:
            emit({"holding": True})
            await asyncio.Event().wait()  # until the test kills the process
        if args.fail_always or delivery.attempt <= args.fail_times:
            if delivery.attempt >= max_attempts:
                counter.add()  # this failure ends in a dead letter
            raise RuntimeError(f"failing attempt {delivery.attempt} as asked")
        counter.add()

    await bus.subscribe(args.agent, handle, max_attempts=max_attempts, visibility_ms=args.visibility_ms,
                        backoff_base_ms=DRIVER_BACKOFF_MS // 2, backoff_cap_ms=DRIVER_BACKOFF_MS)
    note(f"ready {args.agent}")
    return await until_done(counter, args.timeout_ms)


async def cmd_serve(bus: AgentBus, args) -> int:
    counter = Counter(args.count)
    answer = None if args.echo else json_object(args.reply, "--reply")

    async def handle(delivery: Delivery) -> None:
        request = delivery.envelope
        emit(delivery_line(request, delivery.attempt, delivery.entry_id))
        await delivery.reply(request.message_type + ".reply", request.payload if answer is None else answer)
        counter.add()

    await bus.subscribe(args.agent, handle)
    note(f"ready {args.agent}")
    return await until_done(counter, args.timeout_ms)


async def cmd_request(bus: AgentBus, args) -> int:
    def not_a_reply(delivery: Delivery) -> None:
        # Another message for the requester: given back (a retry now), for its usual consumer.
        delivery.retry_in(0)

    request = Envelope.create(args.from_agent, args.to, args.type, json_object(args.payload, "--payload"))
    await bus.subscribe(args.from_agent, not_a_reply)
    try:
        reply = await bus.request(request, args.timeout_ms)
    except RequestTimeoutError as e:
        note(str(e))
        return EXIT_TIMEOUT
    emit(delivery_line(reply))
    return 0


async def cmd_publish(bus: AgentBus, args) -> int:
    envelope = Envelope.create(args.from_agent, "broadcast", args.type, json_object(args.payload, "--payload"))
    emit({"receivers": await bus.publish(args.channel, envelope)})
    return 0


async def listen_until(bus: AgentBus, pattern: str, args) -> int:
    counter = Counter(args.count)

    def handle(envelope: Envelope, channel: str) -> None:
        emit(delivery_line(envelope))
        counter.add()

    listener = await bus.listen(pattern, handle)
    note(f"ready {pattern}")
    outcome = await until_done(counter, args.timeout_ms)
    if listener.gaps:
        note(f"missed {listener.gaps} messages (sequence gaps)")
    return outcome


async def cmd_listen(bus: AgentBus, args) -> int:
    return await listen_until(bus, args.pattern, args)


async def cmd_topic_publish(bus: AgentBus, args) -> int:
    envelope = Envelope.create(args.from_agent, args.topic, args.type, json_object(args.payload, "--payload"),
                               message_id=args.message_id)
    receipt = await bus.topic_publish(args.topic, envelope)
    emit({"message_id": receipt.message_id, "entry_id": receipt.entry_id, "duplicate": receipt.duplicate})
    return 0


async def consume_until(args, start) -> int:
    counter = Counter(args.count)

    def handle(delivery: Delivery) -> None:
        emit(delivery_line(delivery.envelope, delivery.attempt, delivery.entry_id))
        counter.add()

    what = await start(handle)
    note(f"ready {what}")
    return await until_done(counter, args.timeout_ms)


async def cmd_topic_subscribe(bus: AgentBus, args) -> int:
    async def start(handle):
        await bus.topic_subscribe(args.topic, args.group, handle, from_start=args.from_start)
        return f"{keys.topic(args.topic)} {args.group}"

    return await consume_until(args, start)


async def cmd_dlq_list(bus: AgentBus, args) -> int:
    for dead in await bus.dead_letters(args.agent):
        emit({"message_id": dead.get("message_id"), "dlq_reason": dead.get("dlq_reason"),
              "entry_id": dead["entry_id"]})
    return 0


async def cmd_swarm_publish(bus: AgentBus, args) -> int:
    receivers = await bus.swarm_publish(args.swarm, args.type, json_object(args.data, "--data"),
                                        priority(args.priority))
    emit({"receivers": receivers})
    return 0


async def cmd_swarm_listen(bus: AgentBus, args) -> int:
    return await listen_until(bus, keys.swarm_event(args.swarm, args.pattern), args)


async def cmd_messenger_send(bus: AgentBus, args) -> int:
    envelope = Envelope.create(args.from_swarm, args.to_swarm, args.type, json_object(args.message, "--message"))
    receipt = await bus.messenger_send(envelope)
    emit({"message_id": receipt.message_id, "entry_id": receipt.entry_id})
    return 0


async def cmd_messenger_receive(bus: AgentBus, args) -> int:
    async def start(handle):
        await bus.messenger_receive(args.swarm, handle)
        return args.swarm

    return await consume_until(args, start)


def cmd_vectors(args) -> int:
    for verdict in verdicts(args.file):
        emit(verdict)
    return 0


# --- the command line ---------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python3 -m agentbus", description="agentbus Python client: interop driver")
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, run, help_text, redis=True, receiving=False):
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(run=run)
        sub.add_argument("--redis", required=redis, metavar="URL", help="redis://[:password@]host:port")
        if receiving:
            sub.add_argument("--count", type=int, default=1, help="deliveries to wait for (default 1)")
            sub.add_argument("--timeout-ms", type=int, default=10_000, help="give up after (default 10000)")
        return sub

    def message_options(sub, type_default="task", payload="--payload"):
        sub.add_argument("--type", default=type_default, help=f"message type (default {type_default})")
        sub.add_argument(payload, default="{}", help="a JSON object (default {})")

    sub = command("send", cmd_send, "a direct send (send.lua, or schedule.lua with --delay-ms)")
    sub.add_argument("--from", dest="from_agent", required=True)
    sub.add_argument("--to", required=True)
    message_options(sub)
    sub.add_argument("--priority", default="5", help="1-9 or low, normal, high, urgent, critical")
    sub.add_argument("--message-id")
    sub.add_argument("--delay-ms", type=int, default=0)

    sub = command("receive", cmd_receive, "one instance of AGENT: prints each delivery, then acks", receiving=True)
    sub.add_argument("agent")
    sub.add_argument("--fail-always", action="store_true", help="the handler raises on every attempt")
    sub.add_argument("--fail-times", type=int, default=0, help="the handler raises on the first K attempts")
    sub.add_argument("--max-attempts", type=int, default=3)
    sub.add_argument("--visibility-ms", type=int, default=30_000)
    sub.add_argument("--hold", action="store_true", help="never return from the handler")

    sub = command("serve", cmd_serve, "a responder to requests (PROTOCOL §7)", receiving=True)
    sub.add_argument("agent")
    answer = sub.add_mutually_exclusive_group(required=True)
    answer.add_argument("--echo", action="store_true", help="reply with the request's payload")
    answer.add_argument("--reply", help="reply with this JSON object")

    sub = command("request", cmd_request, "sends a request and prints its reply")
    sub.add_argument("--from", dest="from_agent", required=True)
    sub.add_argument("--to", required=True)
    message_options(sub)
    sub.add_argument("--timeout-ms", type=int, default=10_000)

    sub = command("publish", cmd_publish, "ephemeral broadcast (§9)")
    sub.add_argument("channel")
    sub.add_argument("--from", dest="from_agent", default="agentbus-py")
    message_options(sub)

    sub = command("listen", cmd_listen, "PSUBSCRIBE (SUBSCRIBE without a glob character)", receiving=True)
    sub.add_argument("pattern")

    sub = command("topic-publish", cmd_topic_publish, "durable topic publish (§8)")
    sub.add_argument("topic")
    sub.add_argument("--from", dest="from_agent", default="agentbus-py")
    message_options(sub)
    sub.add_argument("--message-id")

    sub = command("topic-subscribe", cmd_topic_subscribe, "one instance of a subscriber group", receiving=True)
    sub.add_argument("topic")
    sub.add_argument("--group", required=True)
    sub.add_argument("--from-start", action="store_true", help="a new group starts at the oldest entry")

    sub = command("dlq-list", cmd_dlq_list, "the agent's dead letters")
    sub.add_argument("agent")

    sub = command("swarm-publish", cmd_swarm_publish, "swarm event (§14), ephemeral")
    sub.add_argument("swarm")
    sub.add_argument("type")
    sub.add_argument("--data", default="{}")
    sub.add_argument("--priority", default="5")

    sub = command("swarm-listen", cmd_swarm_listen, "pattern listen on event:{SWARM}:PATTERN", receiving=True)
    sub.add_argument("swarm")
    sub.add_argument("pattern")

    sub = command("messenger-send", cmd_messenger_send, "inter-swarm message (§14a)")
    sub.add_argument("from_swarm")
    sub.add_argument("to_swarm")
    message_options(sub, payload="--message")

    sub = command("messenger-receive", cmd_messenger_receive, "one receiving instance of SWARM", receiving=True)
    sub.add_argument("swarm")

    sub = command("vectors", cmd_vectors, "decodes protocol/vectors/entries.json; no Redis", redis=False)
    sub.add_argument("file")
    return top


async def run(args) -> int:
    bus = await AgentBus.connect(args.redis, BusOptions())
    try:
        return await args.run(bus, args)
    finally:
        await bus.close()


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    arguments = parser()
    args = arguments.parse_args(argv)
    try:
        if args.command == "vectors":
            return args.run(args)
        return asyncio.run(run(args))
    except (UsageError, InvalidEnvelopeError) as e:
        arguments.print_usage(sys.stderr)
        note(f"error: {e}")
        return EXIT_USAGE
    except NoRespondersError as e:
        note(f"error: {e}")
        return EXIT_FAILURE
    except Exception as e:  # the world failed: Redis down or refusing, a script error, ...
        note(f"error: {type(e).__name__}: {e}")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
