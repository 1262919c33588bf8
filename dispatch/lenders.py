"""Cross-BCU dispatch, the choice: which other areas' available units fill a plan, nearest first."""

from __future__ import annotations

from dataclasses import dataclass

from cad.incident_types import Requirement
from cad.keys import AreaKeys, GlobalKeys
from dispatch.candidates import capabilities_of
from dispatch.recommendation import Candidate, recommend
from transport.redis_types import AsyncRedis

# Per area and radius: the nearest available units are the ones a loan would take.
_PER_AREA = 32


@dataclass(frozen=True)
class Loan:
    """One unit another area would lend, and how far it is from the incident."""

    callsign: str
    area: str
    distance_m: float


def choose_loans(
    plan: tuple[Requirement, ...],
    candidates: list[tuple[str, Candidate]],
    *,
    stale_before_ms: int,
) -> tuple[Loan, ...] | None:
    """The nearest suitable units of any area for the whole plan (plan order), or None."""
    chosen = recommend(plan, [c for _, c in candidates], stale_before_ms=stale_before_ms)
    if not plan or not chosen.complete:
        return None
    area_of = {c.callsign: area for area, c in candidates}
    return tuple(Loan(c.callsign, area_of[c.callsign], c.distance_m) for c in chosen.chosen)


def by_area(loans: tuple[Loan, ...]) -> dict[str, tuple[Loan, ...]]:
    """The loans grouped by lending area, the area of the nearest unit first."""
    groups: dict[str, list[Loan]] = {}
    for loan in sorted(loans, key=lambda loan: loan.distance_m):
        groups.setdefault(loan.area, []).append(loan)
    return {area: tuple(group) for area, group in groups.items()}


async def find_loans(
    redis: AsyncRedis,
    *,
    home_area: str,
    lon: float,
    lat: float,
    plan: tuple[Requirement, ...],
    radii_m: tuple[int, ...],
    stale_before_ms: int,
) -> tuple[Loan, ...] | None:
    """Search every other area's available units, a small radius first and widening."""
    areas = sorted(set(await redis.smembers(GlobalKeys().areas)) - {home_area})
    for radius in radii_m if areas else ():
        candidates = await _candidates(redis, areas, lon, lat, radius)
        loans = choose_loans(plan, candidates, stale_before_ms=stale_before_ms)
        if loans is not None:
            return loans
    return None


async def _candidates(
    redis: AsyncRedis, areas: list[str], lon: float, lat: float, radius_m: int
) -> list[tuple[str, Candidate]]:
    async with redis.pipeline(transaction=False) as pipe:
        for area in areas:
            pipe.geosearch(
                AreaKeys(area).available, longitude=lon, latitude=lat, radius=radius_m,
                unit="m", sort="ASC", count=_PER_AREA, withdist=True,
            )  # fmt: skip
        found = await pipe.execute()
    hits = [(a, name, dist) for a, rows in zip(areas, found, strict=True) for name, dist in rows]
    if not hits:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for area, name, _ in hits:
            keys = AreaKeys(area)
            pipe.hget(keys.unit_status, name)
            pipe.hget(keys.units, name)
            pipe.hget(keys.unit_fix, name)
        replies = await pipe.execute()
    candidates = []
    for i, (area, name, dist) in enumerate(hits):
        status, record, fix = replies[3 * i : 3 * i + 3]
        caps = capabilities_of(area, name, record or "")
        if caps is None:
            continue  # an unreadable record: what the unit can do is unknown, so it is not lent
        fix_ms = int(fix) if fix else None
        candidates.append((area, Candidate(name, float(dist), status or "unknown", caps, fix_ms)))
    return candidates
