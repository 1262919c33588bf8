"""A stream of hostile call events over real MQTT: each ends as an incident or a dead letter,
and the consumer keeps serving."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from redis.asyncio import Redis

from cad.deadletter import DEADLETTER_STREAM
from cad.events import Tasking
from cad.keys import GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import eventually, mqtt_client, next_message, running_runtime

MESSAGES = 150


def hostile(rng: random.Random, n: int) -> bytes:
    """One of many kinds of bad (and a few good) call events, chosen by the seeded generator."""
    good = {
        "call_id": f"fuzz-{n}", "received_at": datetime.now(UTC).isoformat(), "source": "aml",
        "location": {"lon": -0.3 + rng.random() * 0.4, "lat": 51.4 + rng.random() * 0.2},
    }  # fmt: skip
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 400))
    if kind == 1:
        return json.dumps(good).encode()[: rng.randrange(1, 60)]
    if kind == 2:
        return json.dumps({**good, "location": {"lon": 1e308 * 10, "lat": "north"}}).encode()
    if kind == 3:
        return json.dumps({**good, "call_id": "💥" * rng.randrange(1, 90)}).encode()
    if kind == 4:
        return b'{"call_id":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    if kind == 5:
        return json.dumps({**good, "text": "x" * 40_000}).encode()
    if kind == 6:
        return json.dumps([good]).encode()
    if kind == 7:
        return json.dumps({**good, "grade": rng.choice(["I", "Q", 1, None, {}])}).encode()
    if kind == 8:
        return json.dumps(
            {**good, "received_at": rng.choice(["yesterday", 0, "2026-13-45"])}
        ).encode()
    return json.dumps(good).encode()


async def test_every_hostile_message_is_accounted_for_and_the_consumer_lives(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    unit = Unit(callsign="CW99", area="CW", base_lon=-0.13, base_lat=51.51)
    rng = random.Random(4242)
    payloads = [hostile(rng, n) for n in range(MESSAGES)]
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "fuzzer") as gateway:
        for payload in payloads:
            await gateway.publish(topics.calls_in, payload, qos=1)

        async def accounted() -> bool:
            calls = await redis.hlen(GlobalKeys().incident_area)
            letters = await redis.xlen(DEADLETTER_STREAM)
            return bool(calls + letters == MESSAGES)

        await eventually(accounted, within_s=30)
        letters = [json.loads(f["letter"]) for _, f in await redis.xrange(DEADLETTER_STREAM)]
        assert all(letter["reason"] for letter in letters)
        assert len(letters) > MESSAGES // 2
        # Still serving: a good call after the storm of bad ones is dispatched.
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
        async with mqtt_client(settings, "mdt") as mdt:
            await mdt.subscribe(topics.tasking("CW99"), qos=1)
            good = {
                "call_id": "after-fuzz", "received_at": datetime.now(UTC).isoformat(),
                "source": "999", "location": {"lon": -0.1281, "lat": 51.508},
                "incident_type": "concern_for_welfare", "grade": "I",
            }  # fmt: skip
            await gateway.publish(topics.calls_in, json.dumps(good).encode(), qos=1)
            message = await next_message(mdt, within_s=10)
            assert isinstance(message.payload, bytes)
            assert Tasking.model_validate_json(message.payload).call_id == "after-fuzz"
