"""A stream of hostile call events over real MQTT: each ends as an incident or a dead letter,
and the consumer keeps serving."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from cad.events import Tasking
from cad.keys import GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import eventually, holds, mqtt_client, next_message, running_runtime
from transport.deadletter import DEADLETTER_STREAM

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
    async with running_runtime(settings) as runtime, mqtt_client(settings, "fuzzer") as gateway:
        for payload in payloads:
            await gateway.publish(topics.calls_in, payload, qos=1)

        async def accounted() -> bool:
            calls = await redis.hlen(GlobalKeys().incident_area)
            letters = await redis.xlen(DEADLETTER_STREAM)
            return bool(calls + letters == MESSAGES)

        await eventually(accounted, within_s=30)
        # A call is counted once its incident exists; its dispatch (a grade I call borrows from
        # other BCUs) may still run, and would take the unit registered below.
        await eventually(lambda: holds(runtime.pool.running == 0))
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


def _event(call_id: str, changes: dict[str, object]) -> dict[str, object]:
    """A good graded call at Trafalgar Square, with the fields of `changes` set (dotted paths)."""
    location: dict[str, object] = {"lon": -0.1281, "lat": 51.508, "radius_m": 30}
    event: dict[str, object] = {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "grade": "I", "incident_type": "concern_for_welfare",
    }  # fmt: skip
    for name, value in changes.items():
        if name.startswith("location."):
            location[name.removeprefix("location.")] = value
        else:
            event[name] = value
    return {**event, "location": location}


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# (field, the bad value, what the dead letter's reason says about it). A tester found lax
# validation storing `"lat": true` as latitude 1.0 and taking "51.5" and far-off dates.
WRONG_CALLS: list[tuple[str, object, str]] = [
    ("location.lat", True, "Input should be a valid number"),
    ("location.lat", "51.5", "Input should be a valid number"),
    ("location.lat", None, "Input should be a valid number"),
    ("location.lon", False, "Input should be a valid number"),
    ("location.radius_m", False, "Input should be a valid number"),
    ("location.radius_m", "30", "Input should be a valid number"),
    ("call_id", 123, "Input should be a valid string"),
    ("call_id", None, "Input should be a valid string"),
    ("source", 999, "Input should be"),
    ("received_at", 1_764_800_000, "ISO 8601"),
    ("received_at", None, "ISO 8601"),
    ("schema_version", True, "the integer 1"),
    ("received_at", "9999-12-31T00:00:00Z", "ahead of the service clock (allowed skew 60 s)"),
    ("received_at", "1970-01-01T00:00:00Z", "behind the service clock (maximum age 86400 s)"),
]


async def test_wrong_types_and_times_out_of_bounds_are_dead_letters_naming_the_field(
    settings: Settings, redis: Redis
) -> None:
    cases = [
        *WRONG_CALLS,
        ("received_at", (datetime.now(UTC) + timedelta(hours=2)).isoformat(), "ahead"),
        ("received_at", _ago(hours=25), "behind the service clock"),
    ]
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "gateway") as gateway:
        for n, (field, value, says) in enumerate(cases):
            event = _event(f"wrong-{n}", {field: value})
            await gateway.publish(topics.calls_in, json.dumps(event).encode(), qos=1)
            await eventually(lambda n=n: _letters_at_least(redis, n + 1))  # type: ignore[misc]
            _, last = (await redis.xrevrange(DEADLETTER_STREAM, count=1))[0]
            reason = json.loads(last["letter"])["reason"]
            assert reason.startswith(f"{field}: "), (field, value, reason)
            assert says in reason, (field, value, reason)
        # Not one of them became a call or an incident.
        assert await redis.hlen(GlobalKeys().incident_area) == 0
        assert await redis.keys("*:call:*") == []
        # Bounds are bounds, not a ban on clocks that differ: a call from a gateway's log an
        # hour old, and one a few seconds ahead, are taken, each with the service's own time.
        taken = {"an-hour-old": _ago(hours=1), "ahead": _ago(seconds=-20)}
        for call_id, stamp in taken.items():
            event = _event(call_id, {"received_at": stamp})
            await gateway.publish(topics.calls_in, json.dumps(event).encode(), qos=1)
        await eventually(lambda: _incidents(redis, 2))
    for call_id, stamp in taken.items():
        (key,) = await redis.keys(f"*:call:{call_id}")
        record = await redis.hgetall(key)
        client_ms = int(datetime.fromisoformat(stamp).timestamp() * 1000)
        assert int(record["received_ms"]) == client_ms  # the client's clock, kept
        assert abs(int(record["recorded_ms"]) - time.time() * 1000) < 10_000  # the service's
    assert await redis.xlen(DEADLETTER_STREAM) == len(cases)


async def _letters_at_least(redis: Redis, n: int) -> bool:
    return int(await redis.xlen(DEADLETTER_STREAM)) >= n


async def _incidents(redis: Redis, n: int) -> bool:
    return int(await redis.hlen(GlobalKeys().incident_area)) == n
