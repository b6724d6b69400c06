"""The department seed's MessageBus example on agentbus: a sender agent sends tasks to a worker, the
worker receives them with receive_messages and replies, the sender collects the replies.

Only the constructor differs from the seed's code (the import, and the URL from REDIS_URL).
Run: PYTHONPATH=clients/python/src REDIS_URL=redis://localhost:6379 python3 clients/python/examples/seed_message_bus.py
"""

import asyncio
import os

from agentbus.seed import MessageBus

TASKS = int(os.environ.get("TASKS", "20"))


async def sender(bus: MessageBus):
    for n in range(TASKS):
        message_id = await bus.send_message("worker", {
            "message_type": "task_assignment",
            "from_agent": "sender",
            "priority": "high" if n % 5 == 0 else "normal",
            "payload": {"task": n, "brief": f"write post {n}"},
        })
        print(f"sent {message_id} task {n}", flush=True)


async def worker(bus: MessageBus):
    done = 0
    while done < TASKS:
        for message in await bus.receive_messages("worker", count=10, block_ms=1000):
            print(f"worker received {message['message_id']} task {message['payload']['task']} "
                  f"priority {message['priority']}", flush=True)
            await bus.send_message(message["from_agent"], {
                "message_type": "task_result",
                "from_agent": "worker",
                "correlation_id": message["message_id"],
                "payload": {"task": message["payload"]["task"], "status": "done"},
            })
            done += 1


async def collect_replies(bus: MessageBus):
    replies = 0
    while replies < TASKS:
        for message in await bus.receive_messages("sender", count=10, block_ms=1000):
            print(f"sender got result of {message['correlation_id']}: {message['payload']['status']}", flush=True)
            replies += 1


async def main():
    bus = MessageBus(redis_url=os.environ.get("REDIS_URL", "redis://localhost:6379"))
    await bus.connect()
    try:
        await asyncio.wait_for(asyncio.gather(sender(bus), worker(bus), collect_replies(bus)), timeout=60)
    finally:
        await bus.close()


if __name__ == "__main__":
    asyncio.run(main())
