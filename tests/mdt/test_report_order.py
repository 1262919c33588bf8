"""A unit's reports apply in the order it sent them, even the first ones after a service start,
while the service still looks up which area holds the unit."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import add_units, call, receive_tasking, report

KEYS = AreaKeys("CW")


async def test_back_to_back_reports_on_a_fresh_service_apply_in_order(
    settings: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("RO10", -0.1300, 51.5100))
    logins = await grant("RO10")
    topics = Topics(settings.topic_root)
    async with (
        running_runtime(settings),
        mqtt_client(settings, "mdt-ro10", login=logins["RO10"]) as mdt,
        mqtt_client(settings, "gateway") as gateway,
    ):
        await mdt.subscribe(topics.tasking("RO10"), qos=1)
        await gateway.publish(topics.calls_in, call("order-1"), qos=1)
        tasking = await receive_tasking(mdt)
        for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
            await mdt.publish(topics.status("RO10"), report(status, tasking.tasking_id), qos=1)
        await eventually(lambda: _cleared(redis, tasking.incident_ref))
    moves = [f["status"] for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_status"]
    assert moves == ["en_route", "on_scene", "available"]


async def _cleared(redis: Redis, ref: str) -> bool:
    return bool(await redis.hget(KEYS.incident(ref), "status") == "awaiting_result")
