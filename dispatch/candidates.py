"""Recommendation candidates from Redis: near units first, widening until the plan fits."""

from __future__ import annotations

from functools import lru_cache

from cad.incident_types import Requirement
from cad.unreadable import log_unreadable, unreadable_record
from dispatch.lua.unit_candidates import unit_candidates
from dispatch.recommendation import Candidate, Recommendation, recommend
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit

# Explanations are for the units a dispatcher would consider: the nearest few, not the fleet.
_MAX_CANDIDATES = 40


async def gather_candidates(
    scripts: DispatchScripts, *, area: str, lon: float, lat: float, radius_m: int
) -> list[Candidate]:
    """Every unit of the area within `radius_m` (nearest first, at most 40), with its state; a
    unit whose registry record does not parse is left out."""
    found, _ = await _gather(scripts, area=area, lon=lon, lat=lat, radius_m=radius_m)
    return found


async def _gather(
    scripts: DispatchScripts, *, area: str, lon: float, lat: float, radius_m: int
) -> tuple[list[Candidate], bool]:
    """As `gather_candidates`, and whether the search found the most it returns: then a wider
    radius finds the same nearest units again, and nothing more."""
    found = []
    near = await unit_candidates(
        scripts, area=area, lon=lon, lat=lat, radius_m=radius_m, limit=_MAX_CANDIDATES
    )
    for unit in near:
        capabilities = capabilities_of(area, unit.callsign, unit.record)
        if capabilities is None:
            continue  # what it can do is unknown: it is not offered for any requirement
        found.append(
            Candidate(
                callsign=unit.callsign,
                distance_m=unit.distance_m,
                status=unit.status or "unknown",
                capabilities=capabilities,
                fix_ms=int(unit.fix_ms) if unit.fix_ms else None,
                incident_ref=unit.incident_ref or None,
            )
        )
    return found, len(near) >= _MAX_CANDIDATES


@lru_cache(maxsize=50_000)
def capabilities_of(area: str, callsign: str, record: str) -> frozenset[str] | None:
    """A registry record's capabilities, parsed once per distinct record (they rarely change);
    None for one that does not parse, logged once (while it stays in the cache)."""
    if not record:
        return frozenset()
    try:
        return Unit.model_validate_json(record).capabilities
    except ValueError as exc:
        log_unreadable(unreadable_record("unit", area, callsign, exc))
        return None


async def recommend_for(
    scripts: DispatchScripts,
    *,
    area: str,
    lon: float,
    lat: float,
    plan: tuple[Requirement, ...],
    radii_m: tuple[int, ...],
    stale_before_ms: int,
    stood_down: frozenset[str] = frozenset(),
) -> Recommendation:
    """Search a small radius first and widen until the plan can be met (or the radii run out, or
    a search found the most it returns); `stood_down`: the units a dispatcher stood down from
    this incident, never offered for it."""
    result = recommend(plan, [], stale_before_ms=stale_before_ms, stood_down=stood_down)
    for radius in radii_m:
        candidates, full = await _gather(scripts, area=area, lon=lon, lat=lat, radius_m=radius)
        result = recommend(plan, candidates, stale_before_ms=stale_before_ms, stood_down=stood_down)
        # In a dense fleet whose nearest units are all busy, each wider search would only read
        # the same nearest 40 again.
        if result.complete or full:
            break
    return result
