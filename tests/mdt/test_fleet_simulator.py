"""The fleet simulator against the real service: its units acknowledge, drive, attend and clear,
each over its own login, so an incident runs its life cycle until it awaits its result."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from cad.events import Tasking
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from service.demo.mdt_sim import SimulatedFleet
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import TRAFALGAR, call
from transport.broker_security import development_credentials

KEYS = AreaKeys("CW")
UNITS = [
    Unit(callsign="SIM1", area="CW", base_lon=-0.1300, base_lat=51.5100),
    Unit(callsign="SIM2", area="CW", base_lon=-0.1500, base_lat=51.5000),
]


async def test_a_simulated_unit_works_a_call_through_to_awaiting_its_result(
    settings: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    for unit in UNITS:
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    await grant(*(u.callsign for u in UNITS))
    topics = Topics(settings.topic_root)
    seen: list[tuple[str, Tasking]] = []
    fleet = SimulatedFleet(
        UNITS, development_credentials(settings.mdt_credential_secret),
        mqtt_url=settings.mqtt_url, topics=topics, seed=7, time_scale=900.0,
        on_tasking=lambda callsign, tasking, _: seen.append((callsign, tasking)),
    )  # fmt: skip
    async with running_runtime(settings), mqtt_client(settings, "gw") as gateway:
        await fleet.start()
        try:
            await gateway.publish(topics.calls_in, call("sim-1"), qos=1)
            await eventually(lambda: _seen(seen))
            ref = seen[0][1].incident_ref
            await eventually(lambda: _status(redis, ref, "on_scene"), within_s=5)
            sim1 = fleet.mdts[0]
            at_scene = sim1.position
            await eventually(lambda: _status(redis, ref, "awaiting_result"), within_s=10)
            await asyncio.sleep(0.6)  # one more AVL report on the way back to patrol
        finally:
            await fleet.stop()
    assert seen[0][0] == "SIM1"
    assert at_scene == (TRAFALGAR[0], TRAFALGAR[1])
    assert await redis.hget(KEYS.unit_status, "SIM1") == "available"
    assert fleet.tally.acknowledged == fleet.tally.cleared == 1
    moves = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_status"]
    assert [f["status"] for f in moves] == ["en_route", "on_scene", "available"]
    assert all(f["actor"] == "mdt:SIM1" for f in moves)
    (position,) = await redis.geopos(KEYS.positions, "SIM1")
    assert position is not None
    assert position[0] != TRAFALGAR[0]  # reported from the road back to its base


async def _seen(seen: list[tuple[str, Tasking]]) -> bool:
    return bool(seen)


async def _status(redis: Redis, ref: str, status: str) -> bool:
    return bool(await redis.hget(KEYS.incident(ref), "status") == status)
