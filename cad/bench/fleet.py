"""The bench fleet: units at seeded points over London, registered through `register_unit`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.bench.calls import london_points
from cad.keys import AreaKeys
from dispatch.areas import dispatch_area
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.units import Unit, register_unit

_BATCH = 50


@dataclass(frozen=True)
class FleetUnit:
    """One bench unit: callsign, position and the dispatch area that holds it."""

    callsign: str
    lon: float
    lat: float
    area: str


def bench_fleet(prefix: str, n: int, seed: int) -> list[FleetUnit]:
    """`n` units spread uniformly over London, each in the area that dispatches its point."""
    return [
        FleetUnit(f"{prefix}{i}", lon, lat, dispatch_area(lon, lat))
        for i, (lon, lat) in enumerate(london_points(n, seed))
    ]


async def register_fleet(redis: Redis, fleet: list[FleetUnit]) -> None:
    """Register every unit (a new unit starts available at its position)."""
    scripts: DispatchScripts = register_scripts(redis)
    now_ms = int(time.time() * 1000)
    for i in range(0, len(fleet), _BATCH):
        await asyncio.gather(
            *(
                register_unit(
                    redis,
                    scripts,
                    Unit(callsign=u.callsign, area=u.area, base_lon=u.lon, base_lat=u.lat),
                    now_ms=now_ms,
                    actor="bench",
                )
                for u in fleet[i : i + _BATCH]
            )
        )


async def available_count(redis: Redis, fleet: list[FleetUnit]) -> int:
    """How many of the fleet's units the registry holds available right now."""
    by_area: dict[str, list[str]] = {}
    for u in fleet:
        by_area.setdefault(u.area, []).append(u.callsign)
    total = 0
    for area, callsigns in by_area.items():
        statuses = await redis.hmget(AreaKeys(area).unit_status, callsigns)
        total += sum(1 for s in statuses if s == "available")
    return total
