"""A major incident: hundreds of calls about one thing must make one incident and one dispatch."""

from __future__ import annotations

import asyncio
import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import eventually, mqtt_client, running_runtime

CALLS = 300
CENTRE = (-0.0035, 51.5416)  # Stratford, Newham: BCU North East
RADIUS_M = 150.0


def storm_call(n: int, rng: random.Random, start: datetime) -> bytes:
    """Call n: somewhere inside one AML circle, within two minutes of the first."""
    bearing, reach = rng.uniform(0, 2 * math.pi), RADIUS_M * math.sqrt(rng.random())
    lon = CENTRE[0] + reach * math.sin(bearing) / 69_400
    lat = CENTRE[1] + reach * math.cos(bearing) / 111_200
    return json.dumps({
        "call_id": f"storm-{n:03d}",
        "received_at": (start + timedelta(seconds=120 * n / CALLS)).isoformat(),
        "source": "aml" if n % 3 else "999",
        "location": {"lon": lon, "lat": lat, "radius_m": rng.uniform(20, 80)},
        "incident_type": "public_order", "grade": "I", "cli": f"0770090{n:04d}",
    }).encode()  # fmt: skip


@pytest.mark.slow
async def test_300_calls_in_one_aml_circle_make_one_incident_and_one_dispatch(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    for i, caps in enumerate([{"response", "public_order"}, {"response"}, {"response"}]):
        unit = Unit(callsign=f"NE{i:02d}", capabilities=frozenset(caps), area="NE",
                    base_lon=CENTRE[0] + 0.01 * (i + 1), base_lat=CENTRE[1])  # fmt: skip
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    rng = random.Random(999)
    # The calls came over the last two minutes (a stamp ahead of the clock would be refused).
    start = datetime.now(UTC) - timedelta(seconds=120)
    topics = Topics(settings.topic_root)
    keys = AreaKeys("NE")
    async with running_runtime(settings), mqtt_client(settings, "storm") as gateway:
        await asyncio.gather(
            *(
                gateway.publish(topics.calls_in, storm_call(n, rng, start), qos=1)
                for n in range(CALLS)
            )
        )

        async def all_recorded() -> bool:
            refs = await redis.hkeys(GlobalKeys().incident_area)
            return len(refs) == 1 and await redis.zcard(keys.incident_calls(refs[0])) == CALLS

        await eventually(all_recorded, within_s=60)
    (ref,) = await redis.hkeys(GlobalKeys().incident_area)
    incident = await redis.hgetall(keys.incident(ref))
    assert incident["call_count"] == str(CALLS)
    assert incident["status"] == "dispatched"
    assert sorted(incident["units"].split(",")) == ["NE00", "NE01"]  # public order + response
    audit = [f for _, f in await redis.xrange(keys.audit)]
    assert sum(f["type"] == "incident_created" for f in audit) == 1
    assert sum(f["type"] == "call_linked" for f in audit) == CALLS - 1
    assert sum(f["type"] == "unit_assigned" for f in audit) == 2
    assert await redis.hget(keys.unit_status, "NE02") == "available"
