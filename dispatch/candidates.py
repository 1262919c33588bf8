"""Recommendation candidates from Redis: near units first, widening until the plan fits."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.recommendation import Candidate, Recommendation, recommend
from dispatch.units import Unit

# Explanations are for the units a dispatcher would consider: the nearest few, not the fleet.
_MAX_CANDIDATES = 40


async def gather_candidates(
    redis: Redis, *, area: str, lon: float, lat: float, radius_m: int
) -> list[Candidate]:
    """Every unit of the area within `radius_m` (nearest first, at most 40), with its state."""
    keys = AreaKeys(area)
    hits = await redis.geosearch(
        keys.positions, longitude=lon, latitude=lat, radius=radius_m, unit="m",
        sort="ASC", count=_MAX_CANDIDATES, withdist=True,
    )  # fmt: skip
    if not hits:
        return []
    names = [name for name, _ in hits]
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hmget(keys.unit_status, names)
        pipe.hmget(keys.unit_fix, names)
        pipe.hmget(keys.units, names)
        pipe.hmget(keys.unit_incident, names)
        statuses, fixes, records, incidents = await pipe.execute()
    return [
        Candidate(
            callsign=name,
            distance_m=float(distance),
            status=status or "unknown",
            capabilities=Unit.model_validate_json(record).capabilities if record else frozenset(),
            fix_ms=int(fix) if fix else None,
            incident_ref=incident,
        )
        for (name, distance), status, fix, record, incident in zip(
            hits, statuses, fixes, records, incidents, strict=True
        )
    ]


async def recommend_for(
    redis: Redis,
    *,
    area: str,
    lon: float,
    lat: float,
    plan: tuple[Requirement, ...],
    radii_m: tuple[int, ...],
    stale_before_ms: int,
) -> Recommendation:
    """Search a small radius first and widen until the plan can be met (or the radii run out)."""
    result = recommend(plan, [], stale_before_ms=stale_before_ms)
    for radius in radii_m:
        candidates = await gather_candidates(redis, area=area, lon=lon, lat=lat, radius_m=radius)
        result = recommend(plan, candidates, stale_before_ms=stale_before_ms)
        if result.complete:
            break
    return result
