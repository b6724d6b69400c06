"""Request/reply, broadcast, durable topics, swarm events and the inter-swarm messenger on a real
redis-server (PROTOCOL.md sections 7, 8, 9, 14, 14a)."""

import asyncio
import json
import uuid

from redis_server import RedisTestCase

from agentbus import AgentBus, BusOptions, Envelope, NoRespondersError, RequestTimeoutError


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class PatternsTest(RedisTestCase):

    async def asyncSetUp(self):
        self.bus = await AgentBus.connect(self.server.url, BusOptions())

    async def asyncTearDown(self):
        await self.bus.close()

    async def test_a_request_gets_the_reply_correlated_with_it(self):
        requester, responder = fresh("asker"), fresh("answerer")

        async def echo(delivery):
            await delivery.reply(delivery.envelope.message_type + ".reply", delivery.envelope.payload)

        await self.bus.subscribe(responder, echo)
        await self.bus.subscribe(requester, lambda delivery: None)
        request = Envelope.create(requester, responder, "question", {"q": 42}, conversation_id="c-1")

        reply = await self.bus.request(request, timeout_ms=5_000)

        self.assertEqual(request.message_id, reply.correlation_id)
        self.assertEqual({"q": 42}, reply.data)
        self.assertEqual("question.reply", reply.message_type)
        self.assertEqual("c-1", reply.conversation_id)

    async def test_a_request_times_out_or_finds_no_responders(self):
        requester, silent = fresh("asker"), fresh("silent")
        await self.bus.subscribe(requester, lambda delivery: None)
        await self.bus.subscribe(silent, lambda delivery: None)  # handles, never replies

        with self.assertRaises(RequestTimeoutError):
            await self.bus.request(Envelope.create(requester, silent, "question", {}), timeout_ms=300)
        with self.assertRaises(NoRespondersError):
            await self.bus.request(Envelope.create(requester, fresh("nobody"), "question", {}), timeout_ms=300)

    async def test_a_listener_hears_broadcasts_and_counts_the_sequence_gaps(self):
        heard = []
        listener = await self.bus.listen("events:content:*", lambda envelope, channel: heard.append(channel))
        message = Envelope.create("content_manager", "events", "content.created", {"title": "Launch"}).to_fields()

        receivers = await self.bus.publish("events:content:created",
                                           Envelope.create("content_manager", "events", "content.created", {}))
        # A foreign publisher whose messages 3 and 4 were lost.
        for sequence in ("1", "2", "5"):
            self.redis.publish("events:content:updated", json.dumps(dict(message, publisher="p-1", sequence=sequence)))
        self.redis.publish("events:other:created", json.dumps(dict(message, publisher="p-1", sequence="9")))

        self.assertEqual(1, receivers)
        await self.eventually(lambda: len(heard) == 4, what="four broadcasts")
        self.assertEqual(2, listener.gaps)
        self.assertNotIn("events:other:created", heard)

    async def test_every_group_of_a_durable_topic_gets_every_message(self):
        topic = fresh("orders")
        billing, shipping = [], []
        await self.bus.topic_subscribe(topic, "billing", lambda d: billing.append(d.envelope.message_id))
        await self.bus.topic_subscribe(topic, "shipping", lambda d: shipping.append(d.envelope.message_id))

        sent = [(await self.bus.topic_publish(topic, Envelope.create("shop", topic, "order.created", {"n": n})))
                for n in range(3)]
        again = await self.bus.topic_publish(topic, Envelope.create("shop", topic, "order.created", {},
                                                                    message_id=sent[0].message_id))

        ids = [receipt.message_id for receipt in sent]
        await self.eventually(lambda: len(billing) == 3 and len(shipping) == 3, what="both groups")
        self.assertEqual(ids, billing)
        self.assertEqual(ids, shipping)
        self.assertTrue(again.duplicate)
        self.assertEqual(3, self.redis.xlen(f"topic:{{{topic}}}"))

    async def test_swarm_events_are_heard_by_type_pattern(self):
        swarm = fresh("s")
        heard = []
        await self.bus.swarm_listen(swarm, "agent.*", lambda envelope, channel: heard.append(envelope.message_type))

        await self.bus.swarm_publish(swarm, "task.done", {"n": 1})
        await self.bus.swarm_publish(swarm, "agent.joined", {"agent": "a1"}, priority="critical")

        await self.eventually(lambda: heard, what="the agent event")
        await asyncio.sleep(0.1)
        self.assertEqual(["agent.joined"], heard)

    async def test_the_messenger_delivers_between_swarms_also_from_senders_that_appear_later(self):
        build = fresh("build")
        received = []
        first = await self.bus.messenger_send(Envelope.create("research", build, "finding", {"n": 1}))
        await self.bus.messenger_receive(build, lambda d: received.append((d.envelope.from_agent, d.envelope.data)))

        later = await self.bus.messenger_send(Envelope.create("design", build, "mockup", {"n": 2}))

        await self.eventually(lambda: len(received) == 2, what="both messages")
        self.assertEqual([("research", {"n": 1}), ("design", {"n": 2})], received)
        self.assertEqual({b"research", b"design"}, self.redis.smembers(f"swarm:{{{build}}}:senders"))
        self.assertNotEqual(first.entry_id, "")
        self.assertNotEqual(later.entry_id, "")
        self.assertEqual(0, self.redis.xpending(f"message:research:{{{build}}}", "swarm")["pending"])
