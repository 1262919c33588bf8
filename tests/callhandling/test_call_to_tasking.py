"""End to end over real servers: a call event on MQTT becomes an incident, a claim and a tasking."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from cad.events import StatusReport, Tasking, UnitStatus
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import eventually, mqtt_client, next_message, running_runtime
from transport.deadletter import DEADLETTER_STREAM

TRAFALGAR = (-0.1281, 51.5080)  # Westminster: BCU Central West


def call(call_id: str, *, grade: str | None = "I", lon: float = TRAFALGAR[0]) -> bytes:
    event = {
        "call_id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": lon, "lat": TRAFALGAR[1], "radius_m": 30},
        "incident_type": "missing_person_high_risk" if grade else None,
        "grade": grade,
        "cli": "07700900123",
    }
    return json.dumps(event).encode()


async def add_units(
    redis: Redis, scripts: DispatchScripts, *spots: tuple[str, float, float]
) -> None:
    for callsign, lon, lat in spots:
        unit = Unit(callsign=callsign, area="CW", base_lon=lon, base_lat=lat)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")


@pytest.mark.topologies("single", "cluster")
async def test_a_call_event_reaches_the_nearest_unit_as_a_tasking(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await add_units(redis, scripts, ("CW10", -0.1300, 51.5100), ("CW11", -0.1800, 51.4950))
    topics = Topics(settings.topic_root)
    async with (
        running_runtime(settings),
        mqtt_client(settings, "mdt-cw10") as mdt,
        mqtt_client(settings, "gateway") as gateway,
    ):
        await mdt.subscribe(topics.tasking("CW10"), qos=1)
        await gateway.publish(topics.calls_in, call("e2e-1"), qos=1)
        message = await next_message(mdt)
        assert isinstance(message.payload, bytes)
        tasking = Tasking.model_validate_json(message.payload)
    assert message.qos == 1
    assert tasking.call_id == "e2e-1"
    assert tasking.grade == "I"
    assert tasking.eta_s > 0
    keys = AreaKeys("CW")
    incident = await redis.hgetall(keys.incident(tasking.incident_ref))
    assert incident["status"] == "dispatched"
    assert incident["units"] == "CW10"
    assert incident["taskings"] == tasking.tasking_id
    assert await redis.hget(keys.unit_status, "CW10") == "assigned"
    assert await redis.hget(keys.unit_incident, "CW10") == tasking.incident_ref
    assert await redis.hget(keys.unit_status, "CW11") == "available"
    assert await redis.hget(GlobalKeys().incident_area, tasking.incident_ref) == "CW"
    assert tasking.incident_ref.startswith("CAD 0001/")


async def test_a_duplicated_call_event_creates_one_incident_and_one_tasking(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await add_units(redis, scripts, ("CW20", -0.1300, 51.5100), ("CW21", -0.1310, 51.5100))
    topics = Topics(settings.topic_root)
    async with running_runtime(settings) as runtime, mqtt_client(settings, "mdts") as mdts:
        await mdts.subscribe(f"{topics.root}/units/+/tasking", qos=1)
        async with mqtt_client(settings, "gateway") as gateway:
            for _ in range(3):
                await gateway.publish(topics.calls_in, call("dup-1"), qos=1)
        await next_message(mdts)
        await eventually(lambda: _idle(runtime.pool.running))
        with pytest.raises(TimeoutError):
            await next_message(mdts, within_s=0.5)
    assert await redis.hlen(GlobalKeys().incident_area) == 1
    audit = [f["type"] for _, f in await redis.xrange(AreaKeys("CW").audit)]
    assert audit.count("incident_created") == 1
    assert audit.count("unit_assigned") == 1
    assert await redis.hget(AreaKeys("CW").unit_status, "CW21") == "available"


async def _idle(running: int) -> bool:
    return running == 0


@pytest.mark.parametrize(
    ("bad", "reason_part"),
    [
        (b'{"call_id": "x", "received_at": ', "payload: not valid JSON"),
        (call("m1").replace(b'"source": "999", ', b""), "source: Field required"),
        (
            call("m2").replace(b"51.508", b"95.0"),
            "location.lat: Input should be less than or equal",
        ),
        (call("m3")[:-1] + b', "text": "' + b"x" * 20_000 + b'"}', "exceeds the limit"),
        (
            call("m4").replace(b"missing_person_high_risk", b"robbery"),
            "incident_type: unknown type 'robbery'; valid types: alarm_activation, asb,",
        ),
    ],
    ids=["malformed-json", "missing-field", "out-of-range", "oversized", "unknown-type"],
)
async def test_bad_input_is_dead_lettered_and_the_consumer_serves_the_next_call(
    settings: Settings, redis: Redis, scripts: DispatchScripts, bad: bytes, reason_part: str
) -> None:
    await add_units(redis, scripts, ("CW30", -0.1300, 51.5100))
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "watch") as watch:
        await watch.subscribe(topics.deadletter, qos=1)
        await watch.subscribe(topics.tasking("CW30"), qos=1)
        async with mqtt_client(settings, "gateway") as gateway:
            await gateway.publish(topics.calls_in, bad, qos=1)
            letter = json.loads(await _payload(watch))
            await gateway.publish(topics.calls_in, call("after-bad"), qos=1)
            tasking = Tasking.model_validate_json(await _payload(watch))
    assert reason_part in letter["reason"]
    assert letter["topic"] == topics.calls_in
    assert len(letter["payload_excerpt"]) <= 256
    assert tasking.call_id == "after-bad"
    stored = await redis.xrange(DEADLETTER_STREAM)
    assert len(stored) == 1
    assert reason_part in json.loads(stored[0][1]["letter"])["reason"]


async def _payload(client: object) -> bytes:
    message = await next_message(client)  # type: ignore[arg-type]
    assert isinstance(message.payload, bytes)
    return message.payload


@pytest.mark.topologies("single", "cluster")
async def test_an_ungraded_call_waits_and_a_freed_unit_takes_the_queue_head(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    """The life cycle through MDT status reports, and the pending queue served on release."""
    await add_units(redis, scripts, ("CW40", -0.1300, 51.5100))
    topics = Topics(settings.topic_root)
    keys = AreaKeys("CW")
    async with running_runtime(settings), mqtt_client(settings, "mdt") as mdt:
        await mdt.subscribe(topics.tasking("CW40"), qos=1)
        async with mqtt_client(settings, "gateway") as gateway:
            await gateway.publish(topics.calls_in, call("first"), qos=1)
            first = Tasking.model_validate_json(await _payload(mdt))
            # Kilometres apart, so that neither is taken for a duplicate of the first call.
            await gateway.publish(topics.calls_in, call("ungraded", grade=None, lon=-0.19), qos=1)
            await gateway.publish(topics.calls_in, call("second", lon=-0.16), qos=1)
            await eventually(lambda: _count(redis, keys.pending, 2))
        for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
            report = StatusReport(status=status, ts=datetime.now(UTC), tasking_id=first.tasking_id)
            await mdt.publish(topics.status("CW40"), report.model_dump_json(), qos=1)
        second = Tasking.model_validate_json(await _payload(mdt))
    assert second.call_id == "second"
    # Its last unit cleared: it waits for a dispatcher's result code, never closing itself.
    assert await redis.hget(keys.incident(first.incident_ref), "status") == "awaiting_result"
    assert await redis.hget(keys.incident(second.incident_ref), "status") == "dispatched"
    pending = await redis.zrange(keys.pending, 0, -1)
    assert len(pending) == 1  # the ungraded call waits for a call handler
    assert await redis.hget(keys.incident(pending[0]), "call_id") == "ungraded"


async def _count(redis: Redis, key: str, n: int) -> bool:
    return int(await redis.zcard(key)) == n


async def test_an_illegal_status_report_is_refused_on_the_reply_topic(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await add_units(redis, scripts, ("CW50", -0.1300, 51.5100))
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "mdt") as mdt:
        await mdt.subscribe(topics.status_reply("CW50"), qos=1)
        # Only the claim script makes a unit `assigned`; an MDT may never report it.
        report = StatusReport(status=UnitStatus.ASSIGNED, ts=datetime.now(UTC))
        await mdt.publish(topics.status("CW50"), report.model_dump_json(), qos=1)
        reply = json.loads(await _payload(mdt))
    assert reply == {
        "status": "assigned",
        "accepted": False,
        "reason": "illegal transition available -> assigned",
        "current": "available",
    }
    assert await redis.hget(AreaKeys("CW").unit_status, "CW50") == "available"
