"""Direct messaging on a real redis-server: bands, acks, dedup, delay, retries, dead letters, reclaim,
leases, hostile entries, trim, presence (PROTOCOL.md sections 2-6, 5a, 11, 12)."""

import asyncio
import time
import uuid

from redis_server import RedisTestCase

from agentbus import AgentBus, BusOptions, Envelope, NonRetryableError


class RecordingHandler:
    """Records each delivery (message id, attempt); optionally fails or sleeps first."""

    def __init__(self, fail_with=None, sleep_s=0.0):
        self.deliveries = []
        self.fail_with = fail_with
        self.sleep_s = sleep_s

    async def __call__(self, delivery):
        self.deliveries.append((delivery.envelope.message_id, delivery.attempt))
        if self.sleep_s:
            await asyncio.sleep(self.sleep_s)
        if self.fail_with is not None:
            raise self.fail_with

    def ids(self):
        return [message_id for message_id, _ in self.deliveries]


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class InboxTest(RedisTestCase):

    async def asyncSetUp(self):
        self.bus = await AgentBus.connect(self.server.url, BusOptions(backoff_base_ms=20, backoff_cap_ms=50))

    async def asyncTearDown(self):
        await self.bus.close()

    def counters(self, agent):
        return {k.decode(): int(v) for k, v in self.redis.hgetall(f"agent:{{{agent}}}:counters").items()}

    async def test_higher_bands_are_handled_first_and_every_band_is_read(self):
        agent = fresh("worker")
        for priority in ("low", "normal", "high"):
            await self.bus.send(Envelope.create("cmo", agent, "task", {"p": priority}, priority=priority,
                                                message_id=priority + "-" + agent))
        handler = RecordingHandler()

        await self.bus.subscribe(agent, handler)

        await self.eventually(lambda: len(handler.deliveries) == 3, what="three deliveries")
        self.assertEqual(["high-" + agent, "normal-" + agent, "low-" + agent], handler.ids())
        for suffix in (":high", "", ":low"):
            self.assertEqual(1, self.redis.xlen(f"agent:{{{agent}}}:inbox{suffix}"))
        await self.eventually(lambda: self.counters(agent).get("acked") == 3, what="three acks counted")
        self.assertEqual(3, self.counters(agent)["sent"])
        self.assertEqual(0, self.redis.xpending(f"agent:{{{agent}}}:inbox:high", "agentbus")["pending"])

    async def test_an_ack_is_audited_and_the_indexes_list_agent_and_shard(self):
        agent = fresh("audited")
        handler = RecordingHandler()
        await self.bus.subscribe(agent, handler)

        receipt = await self.bus.send(Envelope.create("cmo", agent, "task", {}, conversation_id="conv-1"))

        await self.eventually(lambda: self.counters(agent).get("acked") == 1, what="the ack")
        records = [{k.decode(): v.decode() for k, v in fields.items()}
                   for _, fields in self.redis.xrange(f"audit:messages:{{{agent}}}")]
        self.assertEqual(["sent", "acked"], [record["audit_event"] for record in records])
        acked = records[1]
        self.assertEqual(receipt.message_id, acked["message_id"])
        self.assertEqual("conv-1", acked["conversation_id"])
        self.assertEqual(f"agent:{{{agent}}}:inbox", acked["audit_stream"])
        self.assertTrue(self.redis.sismember("audit:shards", agent))
        self.assertTrue(self.redis.sismember("agents:known", agent))

    async def test_a_message_id_sent_twice_is_stored_once(self):
        agent = fresh("dedup")
        message = Envelope.create("cmo", agent, "task", {"n": 1})

        first, second = await asyncio.gather(self.bus.send(message), self.bus.send(message))

        self.assertEqual({False, True}, {first.duplicate, second.duplicate})
        self.assertEqual(first.entry_id, second.entry_id)
        self.assertEqual(1, self.redis.xlen(f"agent:{{{agent}}}:inbox"))
        self.assertEqual({"sent": 1, "deduplicated": 1}, self.counters(agent))

    async def test_a_delayed_message_arrives_after_its_delay(self):
        agent = fresh("later")
        handler = RecordingHandler()
        await self.bus.subscribe(agent, handler)
        sent_at = time.monotonic()

        receipt = await self.bus.send(Envelope.create("cmo", agent, "task", {}), delay_ms=400)

        self.assertEqual("", receipt.entry_id)
        self.assertEqual(1, self.redis.zcard(f"agent:{{{agent}}}:delayed"))
        await self.eventually(lambda: handler.deliveries, what="the delayed message")
        self.assertGreaterEqual(time.monotonic() - sent_at, 0.4)
        self.assertEqual(0, self.redis.zcard(f"agent:{{{agent}}}:delayed"))

    async def test_a_failing_message_is_retried_then_dead_lettered_with_its_reason(self):
        agent = fresh("failing")
        handler = RecordingHandler(fail_with=RuntimeError("boom"))
        await self.bus.subscribe(agent, handler, max_attempts=3, visibility_ms=2_000)

        receipt = await self.bus.send(Envelope.create("cmo", agent, "task", {}))

        dead = await self.eventually(lambda: self.redis.xrange(f"agent:{{{agent}}}:dlq"), what="a dead letter")
        fields = {k.decode(): v.decode() for k, v in dead[0][1].items()}
        self.assertEqual([(receipt.message_id, 1), (receipt.message_id, 2), (receipt.message_id, 3)],
                         handler.deliveries)
        self.assertEqual("max_attempts", fields["dlq_reason"])
        self.assertEqual("3", fields["dlq_attempts"])
        self.assertIn("RuntimeError: boom", fields["dlq_detail"])
        self.assertEqual(receipt.message_id, fields["message_id"])
        self.assertEqual({"sent": 1, "retried": 2, "dead_lettered": 1}, self.counters(agent))
        self.assertEqual(0, self.redis.hlen(f"agent:{{{agent}}}:failures"))

    async def test_a_non_retryable_failure_is_dead_lettered_at_once(self):
        agent = fresh("permanent")
        handler = RecordingHandler(fail_with=NonRetryableError("never"))
        await self.bus.subscribe(agent, handler)

        await self.bus.send(Envelope.create("cmo", agent, "task", {}))

        dead = await self.eventually(lambda: self.redis.xrange(f"agent:{{{agent}}}:dlq"), what="a dead letter")
        self.assertEqual(b"non_retryable", dead[0][1][b"dlq_reason"])
        self.assertEqual(1, len(handler.deliveries))

    async def test_an_instance_that_died_holding_a_message_has_it_reclaimed(self):
        agent = fresh("reclaimed")
        receipt = await self.bus.send(Envelope.create("cmo", agent, "task", {}))
        inbox = f"agent:{{{agent}}}:inbox"
        self.redis.xgroup_create(inbox, "agentbus", id="0")
        # An instance that read the message and died before settling it.
        self.redis.xreadgroup("agentbus", "dead-instance", {inbox: ">"}, count=1)
        handler = RecordingHandler()

        await self.bus.subscribe(agent, handler, visibility_ms=500)

        await self.eventually(lambda: handler.deliveries, what="the reclaimed message")
        self.assertEqual([(receipt.message_id, 2)], handler.deliveries)
        await self.eventually(lambda: self.redis.xpending(inbox, "agentbus")["pending"] == 0, what="the ack")

    async def test_a_slow_handler_keeps_its_message_by_extending_the_lease(self):
        agent = fresh("slow")
        slow = RecordingHandler(sleep_s=1.5)
        other = RecordingHandler()
        await self.bus.subscribe(agent, slow, visibility_ms=450)
        await self.bus.send(Envelope.create("cmo", agent, "task", {}))
        await self.eventually(lambda: slow.deliveries, what="the slow handler to start")

        # A second instance whose reclaim would take the message if its lease were not extended.
        await self.bus.subscribe(agent, other, visibility_ms=450)

        await self.eventually(lambda: self.counters(agent).get("acked") == 1, what="the slow ack")
        self.assertEqual([], other.deliveries)
        self.assertEqual(1, len(slow.deliveries))

    async def test_hostile_entries_are_dead_lettered_and_the_loop_goes_on(self):
        agent = fresh("hostile")
        inbox = f"agent:{{{agent}}}:inbox"
        valid = Envelope.create("cmo", agent, "task", {}).to_fields()
        self.redis.xadd(inbox, {"just": "garbage"})
        self.redis.xadd(inbox, dict(valid, message_id="bad-utf8", payload=b'{"a":"\xc3("}'))
        self.redis.execute_command("XADD", inbox, "*", *[part for name, value in valid.items()
                                                         for part in (name, value)], "priority", "9")
        self.redis.xadd(inbox, dict(valid, message_id="bad-priority", priority="07"))
        self.redis.xadd(inbox, dict(valid, message_id="huge", payload="{" + " " * (1024 * 1024 + 10) + "}"))
        handler = RecordingHandler()

        await self.bus.subscribe(agent, handler)
        follower = await self.bus.send(Envelope.create("cmo", agent, "task", {}))

        await self.eventually(lambda: handler.deliveries, what="the valid message after the hostile ones")
        self.assertEqual([follower.message_id], handler.ids())
        dead = [{k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}
                for _, fields in self.redis.xrange(f"agent:{{{agent}}}:dlq")]
        self.assertEqual([("missing_field", "message_id"), ("invalid_encoding", "payload"),
                          ("invalid_field", "priority"), ("invalid_field", "priority"), ("too_large", "payload")],
                         [(d["dlq_reason"], d["dlq_field"]) for d in dead])
        # The follower's ack goes out after its handler returned: wait for it rather than race it.
        await self.eventually(lambda: self.redis.xpending(inbox, "agentbus")["pending"] == 0,
                              what="nothing left pending")

    async def test_trim_keeps_entries_still_pending(self):
        agent = fresh("trimmed")
        inbox = f"agent:{{{agent}}}:inbox"
        for n in range(20):
            await self.bus.send(Envelope.create("cmo", agent, "task", {"n": n}))
        self.redis.xgroup_create(inbox, "agentbus", id="0")
        self.redis.xreadgroup("agentbus", "holder", {inbox: ">"}, count=3)

        removed = await self.bus.scripts.trim.run(self.bus.redis, [inbox], [5, 0])

        self.assertEqual(0, removed)  # the first pending entry is the oldest: nothing before it goes
        self.redis.xack(inbox, "agentbus", *[e[0] for e in self.redis.xrange(inbox, count=2)])
        await self.bus.scripts.trim.run(self.bus.redis, [inbox], [5, 0])
        oldest_pending = self.redis.xpending(inbox, "agentbus")["min"]
        self.assertEqual(oldest_pending, self.redis.xrange(inbox, count=1)[0][0])
        self.assertEqual(18, self.redis.xlen(inbox))

    async def test_a_running_instance_is_live_and_releases_itself_on_stop(self):
        agent = fresh("present")
        consumer = await self.bus.subscribe(agent, RecordingHandler())

        self.assertIsNotNone(self.redis.zscore("agents:live", agent))
        self.assertIsNotNone(self.redis.zscore(f"agent:{{{agent}}}:instances", consumer.name))
        self.assertEqual([consumer.name.encode()],
                         [c["name"] for c in self.redis.xinfo_consumers(f"agent:{{{agent}}}:inbox", "agentbus")])
        await self.bus.unsubscribe(consumer)

        self.assertIsNone(self.redis.zscore("agents:live", agent))
        self.assertEqual([], self.redis.xinfo_consumers(f"agent:{{{agent}}}:inbox", "agentbus"))
