"""The bench fleet: units at seeded points over London, registered through `register_fleet`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cad.keys import AreaKeys
from dispatch.areas import dispatch_area
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_fleet
from loadtests.bench.calls import london_points
from transport.redis_types import AsyncRedis


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


async def register_bench_fleet(redis: AsyncRedis, fleet: list[FleetUnit]) -> None:
    """Register every unit as `cad units load` does (a new unit starts available there)."""
    units = [Unit(callsign=u.callsign, area=u.area, base_lon=u.lon, base_lat=u.lat) for u in fleet]
    await register_fleet(
        redis, register_scripts(redis), units, now_ms=int(time.time() * 1000), actor="bench"
    )


async def available_count(redis: AsyncRedis, fleet: list[FleetUnit]) -> int:
    """How many of the fleet's units the registry holds available right now."""
    by_area: dict[str, list[str]] = {}
    for u in fleet:
        by_area.setdefault(u.area, []).append(u.callsign)
    total = 0
    for area, callsigns in by_area.items():
        statuses = await redis.hmget(AreaKeys(area).unit_status, callsigns)
        total += sum(1 for s in statuses if s == "available")
    return total
