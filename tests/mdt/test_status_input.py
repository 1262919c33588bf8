"""Status reports are validated strictly over real MQTT: wrong types and stamps out of the clock
bounds are dead letters naming the field and change nothing; a last will counts at any age."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.support import add_units
from transport.deadletter import DEADLETTER_STREAM

KEYS = AreaKeys("CW")


def _report(status: object, ts: object) -> bytes:
    return json.dumps({"status": status, "ts": ts}).encode()


def _ts(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).isoformat()


async def test_bad_reports_are_dead_letters_naming_the_field_and_a_late_will_still_counts(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await add_units(redis, scripts, ("ST10", -0.13, 51.51))
    topics = Topics(settings.topic_root)
    bad = [
        ("status", _report(1, _ts(timedelta())), "Input should be"),
        ("status", _report(True, _ts(timedelta())), "Input should be"),
        ("ts", _report("busy", 1_764_806_400), "ISO 8601"),
        ("ts", _report("busy", None), "ISO 8601"),
        ("ts", _report("busy", "9999-12-31T00:00:00Z"), "(allowed skew 60 s)"),
        ("ts", _report("busy", _ts(timedelta(hours=2))), "ahead of the service clock"),
        ("ts", _report("busy", "1970-01-01T00:00:00Z"), "(maximum age 3600 s)"),
        ("ts", _report("busy", _ts(timedelta(hours=-2))), "(maximum age 3600 s)"),
        # A will is exempt from the age, not from the skew.
        ("ts", _report("link_lost", _ts(timedelta(hours=2))), "ahead of the service clock"),
    ]
    async with running_runtime(settings), mqtt_client(settings, "mdt-like") as mdt:
        for n, (field, payload, says) in enumerate(bad):
            await mdt.publish(topics.status("ST10"), payload, qos=1)
            await eventually(lambda n=n: _letters(redis, n + 1))  # type: ignore[misc]
            _, last = (await redis.xrevrange(DEADLETTER_STREAM, count=1))[0]
            reason = json.loads(last["letter"])["reason"]
            assert reason.startswith(f"{field}: "), reason
            assert says in reason, reason
            assert await redis.hget(KEYS.unit_status, "ST10") == "available"
        # The broker publishes a will stamped when the MDT connected, perhaps a day before.
        will = _report("link_lost", _ts(timedelta(hours=-20)))
        await mdt.publish(topics.status("ST10"), will, qos=1)
        await eventually(lambda: _status_is(redis, "ST10", "link_lost"))
    assert await redis.xlen(DEADLETTER_STREAM) == len(bad)
    audit = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_status"]
    assert [(f["previous"], f["status"]) for f in audit] == [("available", "link_lost")]


async def _letters(redis: Redis, n: int) -> bool:
    return int(await redis.xlen(DEADLETTER_STREAM)) >= n


async def _status_is(redis: Redis, callsign: str, status: str) -> bool:
    return bool(await redis.hget(KEYS.unit_status, callsign) == status)
