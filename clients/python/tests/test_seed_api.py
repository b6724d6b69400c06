"""The seed's MessageBus interface: its example runs unchanged, and receive_messages is at least once."""

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

from redis_server import SRC, RedisTestCase

from agentbus import BusOptions
from agentbus.seed import MessageBus

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "seed_message_bus.py"


class SeedApiTest(RedisTestCase):

    async def test_the_seed_example_delivers_every_task_and_reply(self):
        tasks = 20
        run = await asyncio.to_thread(
            subprocess.run, [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=90,
            env=dict(os.environ, PYTHONPATH=str(SRC), REDIS_URL=self.server.url, TASKS=str(tasks)))

        self.assertEqual(0, run.returncode, run.stderr)
        sent = re.findall(r"^sent (\S+) task", run.stdout, re.M)
        received = Counter(re.findall(r"^worker received (\S+) ", run.stdout, re.M))
        replied = set(re.findall(r"^sender got result of (\S+):", run.stdout, re.M))
        lost = len(set(sent) - set(received))
        duplicates = sum(count - 1 for count in received.values())
        print(f"RESULT scenario=seed-api-python sent={len(sent)} received={len(received)} lost={lost} "
              f"duplicates={duplicates}")
        self.assertEqual(tasks, len(sent))
        self.assertEqual(0, lost)
        self.assertEqual(set(sent), replied)

    async def test_messages_not_acked_by_a_crashed_caller_are_delivered_again(self):
        agent = f"seed-{uuid.uuid4().hex[:8]}"
        # A caller that receives a batch and dies mid-batch: its process ends without acking or closing.
        crashing = CRASHING_CALLER.format(url=self.server.url, agent=agent)
        run = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", crashing], capture_output=True,
                                      text=True, timeout=30, env=dict(os.environ, PYTHONPATH=str(SRC)))
        first = json.loads(run.stdout)
        survivor = MessageBus(self.server.url, options=BusOptions(visibility_ms=400))
        await survivor.connect()

        again = await self.eventually(lambda: survivor.receive_messages(agent, count=10, block_ms=200),
                                      what="the redelivery")
        await survivor.close()

        self.assertEqual([1], [m["attempt"] for m in first])
        self.assertEqual("critical", first[0]["priority"])
        self.assertEqual([(first[0]["message_id"], 2)], [(m["message_id"], m["attempt"]) for m in again])
        self.assertEqual(0, self.redis.xpending(f"agent:{{{agent}}}:inbox:high", "agentbus")["pending"])


CRASHING_CALLER = """
import asyncio, json, os
from agentbus import BusOptions
from agentbus.seed import MessageBus
async def main():
    bus = MessageBus("{url}", agent_id="boss")
    await bus.connect()
    await bus.send_message("{agent}", {{"message_type": "task", "payload": {{"n": 1}}, "priority": "critical"}})
    print(json.dumps(await bus.receive_messages("{agent}", count=10, block_ms=1000)), flush=True)
    os._exit(0)
asyncio.run(main())
"""
