"""The queue sweep over real servers: an Immediate incident queued because its only unit's AVL fix
was stale is sent that unit once a fresh fix arrives, with no status report; and two replicas
sweeping at once never send a unit twice."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from cad.events import Grade
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.claims import pending_score
from dispatch.queue_sweep import QueueSweep
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.units import Unit, register_unit
from tests.dispatch.mutual_aid_fixtures import (
    RecordingPublisher,
    add_incident,
    dispatcher_for,
)
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.support import call, receive_tasking
from transport.mqtt_client import Client
from transport.redis_client import open_redis

CW = AreaKeys("CW")
UNIT = Unit(callsign="QS01", area="CW", base_lon=-0.1300, base_lat=51.5100)


async def _land_fix(redis: Redis, gateway: Client, topics: Topics, ts: datetime) -> None:
    """Publish a fix until the AVL worker has stored it (QoS 0 before it subscribed is lost)."""
    stamp = str(int(ts.timestamp() * 1000))
    fix = json.dumps({"lon": UNIT.base_lon, "lat": UNIT.base_lat, "ts": ts.isoformat()}).encode()

    async def stored() -> bool:
        if await redis.hget(CW.unit_fix, UNIT.callsign) == stamp:
            return True
        await gateway.publish(topics.avl(UNIT.callsign), fix, qos=0)
        return False

    await eventually(stored, within_s=10)


@pytest.mark.topologies("single", "cluster")
async def test_a_fresh_fix_gets_a_queued_immediate_incident_its_unit_without_a_report(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    swept = settings.model_copy(update={"queue_sweep_interval_s": 0.2, "avl_workers": 1})
    await register_unit(redis, scripts, UNIT, now_ms=int(time.time() * 1000), actor="test")
    topics = Topics(swept.topic_root)
    async with (
        running_runtime(swept),
        mqtt_client(swept, "gateway") as gateway,
        mqtt_client(swept, "mdt-qs01") as mdt,
    ):
        await mdt.subscribe(topics.tasking(UNIT.callsign), qos=1)
        # The unit's last fix is three minutes old (stale after 90 s, still taken in up to five):
        # it is not sent, and the incident waits.
        await _land_fix(redis, gateway, topics, datetime.now(UTC) - timedelta(minutes=3))
        await gateway.publish(topics.calls_in, call("sweep-1"), qos=1)
        await eventually(lambda: _queued(redis))
        # Several sweeps go by: still nobody to send.
        await asyncio.sleep(0.7)
        assert await redis.hget(CW.unit_status, UNIT.callsign) == "available"
        # A fresh fix, and no status report: the next sweep sends the unit.
        await _land_fix(redis, gateway, topics, datetime.now(UTC))
        fresh_at = time.monotonic()
        tasking = await receive_tasking(mdt, within_s=5.0)
        waited_s = time.monotonic() - fresh_at
    (ref,) = await redis.hkeys("cad:incident-area")
    assert tasking.incident_ref == ref
    assert waited_s < 2.0, waited_s  # the sweep runs every 0.2 s here
    assert await redis.hget(CW.unit_incident, UNIT.callsign) == ref
    incident = await redis.hgetall(CW.incident(ref))
    assert (incident["status"], incident["units"]) == ("dispatched", UNIT.callsign)
    assert await redis.zscore(CW.pending, ref) is None
    assigned = [f for _, f in await redis.xrange(CW.audit) if f["type"] == "unit_assigned"]
    assert [(f["callsign"], f["actor"]) for f in assigned] == [(UNIT.callsign, "auto:queue-sweep")]


async def _queued(redis: Redis) -> bool:
    return bool(await redis.zcard(CW.pending) == 1)


INCIDENTS, UNITS, ROUNDS = 6, 4, 10


async def test_two_replicas_sweeping_at_once_never_send_a_unit_twice(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    # Each replica has its own client (its own connection), so their claims really interleave.
    other = open_redis(settings)
    try:
        for _ in range(ROUNDS):
            await redis.flushdb()
            await _queue_and_fleet(redis, scripts)
            publishers = (RecordingPublisher(), RecordingPublisher())
            sweeps = (
                QueueSweep(redis, dispatcher_for(redis, scripts, publishers[0])),
                QueueSweep(other, dispatcher_for(other, register_scripts(other), publishers[1])),
            )
            sent = await asyncio.gather(*(s.sweep_once() for s in sweeps))
            await _assert_each_unit_sent_once(redis, sent, publishers)
    finally:
        await other.aclose()


async def _queue_and_fleet(redis: Redis, scripts: DispatchScripts) -> None:
    for i in range(INCIDENTS):
        ref = f"CAD {i + 1:04d}/01JAN27"
        await add_incident(redis, ref, status="pending", grade="I", extra={"received_ms": str(i)})
        await redis.zadd(CW.pending, {ref: pending_score(Grade.IMMEDIATE, i)})
    for i in range(UNITS):
        unit = Unit(callsign=f"RC{i}", area="CW", base_lon=-0.128 + i * 0.001, base_lat=51.508)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def _assert_each_unit_sent_once(
    redis: Redis, sent: list[int], publishers: tuple[RecordingPublisher, ...]
) -> None:
    taskings = [topic for p in publishers for topic, _ in p.sent]
    assert sum(sent) == UNITS, sent
    assert len(taskings) == UNITS, taskings
    assert len(set(taskings)) == UNITS, taskings
    assigned = [
        f["callsign"] for _, f in await redis.xrange(CW.audit) if f["type"] == "unit_assigned"
    ]
    assert sorted(assigned) == [f"RC{i}" for i in range(UNITS)]
    # The oldest incidents were served, one unit each, and each unit is listed by its incident.
    for i in range(INCIDENTS):
        ref = f"CAD {i + 1:04d}/01JAN27"
        incident = await redis.hgetall(CW.incident(ref))
        units = [u for u in incident.get("units", "").split(",") if u]
        assert len(units) == (1 if i < UNITS else 0), (ref, units)
        for callsign in units:
            assert await redis.hget(CW.unit_incident, callsign) == ref
    assert await redis.zcard(CW.pending) == INCIDENTS - UNITS
