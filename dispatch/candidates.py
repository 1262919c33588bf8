"""Recommendation candidates from Redis: near units first, widening until the plan fits."""

from __future__ import annotations

from functools import lru_cache

from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.recommendation import Candidate, Recommendation, recommend
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit

# Explanations are for the units a dispatcher would consider: the nearest few, not the fleet.
_MAX_CANDIDATES = 40


async def gather_candidates(
    scripts: DispatchScripts, *, area: str, lon: float, lat: float, radius_m: int
) -> list[Candidate]:
    """Every unit of the area within `radius_m` (nearest first, at most 40), with its state."""
    keys = AreaKeys(area)
    flat = await scripts.unit_candidates(
        keys=[keys.positions, keys.unit_status, keys.unit_fix, keys.units, keys.unit_incident],
        args=[lon, lat, radius_m, _MAX_CANDIDATES],
    )
    return [
        Candidate(
            callsign=name,
            distance_m=float(distance),
            status=status or "unknown",
            capabilities=capabilities_of(record),
            fix_ms=int(fix) if fix else None,
            incident_ref=incident or None,
        )
        for name, distance, status, fix, record, incident in zip(*[iter(flat)] * 6, strict=True)
    ]


@lru_cache(maxsize=50_000)
def capabilities_of(record: str) -> frozenset[str]:
    """A registry record's capabilities, parsed once per distinct record (they rarely change)."""
    return Unit.model_validate_json(record).capabilities if record else frozenset()


async def recommend_for(
    scripts: DispatchScripts,
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
        candidates = await gather_candidates(scripts, area=area, lon=lon, lat=lat, radius_m=radius)
        result = recommend(plan, candidates, stale_before_ms=stale_before_ms)
        if result.complete:
            break
    return result
