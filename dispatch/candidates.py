"""Recommendation candidates from Redis: near units first, widening until the plan fits."""

from __future__ import annotations

from functools import lru_cache

from cad.incident_types import Requirement
from cad.unreadable import log_unreadable, unreadable_record
from dispatch.lua.available_with import available_with
from dispatch.lua.unit_candidates import UnitNear, unit_candidates
from dispatch.recommendation import Candidate, Recommendation, recommend
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit

# Explanations are for the units a dispatcher would consider: the nearest few, not the fleet.
MAX_CANDIDATES = 40


async def gather_candidates(
    scripts: DispatchScripts,
    *,
    area: str,
    lon: float,
    lat: float,
    radius_m: int,
    limit: int = MAX_CANDIDATES,
) -> tuple[list[Candidate], bool]:
    """Every unit of the area within `radius_m` (nearest first, at most `limit`), with its state,
    a unit whose registry record does not parse left out; and whether the search found the most
    it returns (then a wider radius or a larger `limit` may find more)."""
    near = await unit_candidates(
        scripts, area=area, lon=lon, lat=lat, radius_m=radius_m, limit=limit
    )
    return _candidates(area, near), len(near) >= limit


def _candidates(area: str, units: list[UnitNear]) -> list[Candidate]:
    """The units as candidates; a unit whose registry record does not parse is left out."""
    found = []
    for unit in units:
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
    return found


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
    """Search a small radius first and widen until the plan can be met (or the radii run out);
    `stood_down`: the units a dispatcher stood down from this incident, never offered for it.
    The nearest units (at most 40) are read with their state, to say why each is passed over;
    when they cannot meet the plan and more stand within the radius, each requirement's nearest
    suitable available units are searched for beyond them."""

    def recommended(candidates: list[Candidate]) -> Recommendation:
        return recommend(plan, candidates, stale_before_ms=stale_before_ms, stood_down=stood_down)

    result = recommended([])
    nearest: list[Candidate] | None = None
    for radius in radii_m:
        if nearest is None:
            candidates, full = await gather_candidates(
                scripts, area=area, lon=lon, lat=lat, radius_m=radius
            )
            # A wider radius would read the same nearest 40 again: they are kept.
            nearest = candidates if full else None
        else:
            candidates = nearest
        result = recommended(candidates)
        if result.complete:
            break
        if nearest is not None:
            # In a dense fleet the nearest 40 may all be busy, or lack a rare capability (a dog,
            # firearms), while suitable units stand further out: as the claim would find them.
            beyond = await _beyond(
                scripts, area=area, lon=lon, lat=lat, radius_m=radius, plan=plan,
                found=candidates, stale_before_ms=stale_before_ms, stood_down=stood_down,
            )  # fmt: skip
            result = recommended(candidates + beyond)
            if result.complete:
                break
    return result


async def _beyond(
    scripts: DispatchScripts,
    *,
    area: str,
    lon: float,
    lat: float,
    radius_m: int,
    plan: tuple[Requirement, ...],
    found: list[Candidate],
    stale_before_ms: int,
    stood_down: frozenset[str],
) -> list[Candidate]:
    """For each requirement, its nearest suitable available units within the radius that are
    not among those `found` (enough for the whole plan, as one unit may suit several)."""
    leave_out = stood_down | {c.callsign for c in found}
    wanted = sum(r.count for r in plan)
    more: dict[str, Candidate] = {}
    for requirement in plan:
        units = await available_with(
            scripts, area=area, lon=lon, lat=lat, radius_m=radius_m,
            capabilities=requirement.capabilities, limit=wanted,
            stale_before_ms=stale_before_ms, leave_out=leave_out,
        )  # fmt: skip
        more.update((c.callsign, c) for c in _candidates(area, units))
    return list(more.values())
