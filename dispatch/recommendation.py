"""Recommendation: which units should go to an incident, and why each near unit should not. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cad.events import UnitStatus
from cad.incident_types import Requirement
from geo import eta_seconds


class Candidate(NamedTuple):
    """A unit near the incident, as Redis described it (a tuple: a recommendation makes one for
    each of up to 40 units near it, and a frozen dataclass took 1.3 µs to build against 0.8)."""

    callsign: str
    distance_m: float
    status: str
    capabilities: frozenset[str]
    fix_ms: int | None
    incident_ref: str | None = None


@dataclass(frozen=True)
class Choice:
    """A unit recommended for one requirement of the plan."""

    callsign: str
    requirement: int
    distance_m: float
    eta_s: float
    reason: str


@dataclass(frozen=True)
class Passed:
    """A near unit that is not recommended, and why."""

    callsign: str
    distance_m: float
    eta_s: float
    reason: str


@dataclass(frozen=True)
class Recommendation:
    """The chosen units (plan order), the near units passed over, and whether the plan is met."""

    chosen: tuple[Choice, ...]
    passed: tuple[Passed, ...]
    complete: bool


def recommend(
    plan: tuple[Requirement, ...],
    candidates: list[Candidate],
    *,
    stale_before_ms: int,
    stood_down: frozenset[str] = frozenset(),
) -> Recommendation:
    """Fill each requirement with the nearest suitable available unit (ETA grows with distance);
    a unit a dispatcher stood down from this incident is not offered for it again."""
    ordered = sorted(candidates, key=_distance)
    needs = [frozenset(r.capabilities) for r in plan]
    usable = [c for c in ordered if c.callsign not in stood_down and _usable(c, stale_before_ms)]
    total = sum(r.count for r in plan)
    chosen: list[Choice] = []
    taken: set[str] = set()
    complete = True
    for index, (requirement, need) in enumerate(zip(plan, needs, strict=True)):
        fits = [c for c in usable if c.callsign not in taken and need <= c.capabilities]
        for candidate in fits[: requirement.count]:
            taken.add(candidate.callsign)
            chosen.append(
                Choice(
                    candidate.callsign,
                    index,
                    candidate.distance_m,
                    eta_seconds(candidate.distance_m),
                    f"nearest available with {'+'.join(sorted(need))} "
                    f"({len(chosen) + 1} of {total})",
                )
            )
        complete = complete and len(fits) >= requirement.count
    passed = tuple(
        Passed(
            c.callsign,
            c.distance_m,
            eta_seconds(c.distance_m),
            "stood down from this incident by a dispatcher"
            if c.callsign in stood_down
            else _why_not(c, needs, stale_before_ms),
        )
        for c in ordered
        if c.callsign not in taken
    )
    return Recommendation(tuple(chosen), passed, complete)


def _distance(candidate: Candidate) -> float:
    return candidate.distance_m


# The status as a plain string: reading an enum member off its class costs more than the whole
# comparison, and every unit near an incident is compared at least twice.
_AVAILABLE: str = UnitStatus.AVAILABLE.value


def _usable(candidate: Candidate, stale_before_ms: int) -> bool:
    return candidate.status == _AVAILABLE and not _stale(candidate, stale_before_ms)


def _stale(candidate: Candidate, stale_before_ms: int) -> bool:
    # No fix at all means a unit still at its base since registration, not a lost one.
    return candidate.fix_ms is not None and candidate.fix_ms < stale_before_ms


def _why_not(candidate: Candidate, needs: list[frozenset[str]], stale_before_ms: int) -> str:
    if candidate.status != _AVAILABLE:
        committed = f" to {candidate.incident_ref}" if candidate.incident_ref else ""
        return f"not available: {candidate.status}{committed}"
    if _stale(candidate, stale_before_ms):
        age_s = (stale_before_ms - (candidate.fix_ms or 0)) // 1000
        return f"stale: last AVL fix older than the limit by {age_s}s"
    if not any(map(candidate.capabilities.issuperset, needs)):
        wanted = sorted(frozenset().union(*needs) - candidate.capabilities)
        return f"lacks capability: {', '.join(wanted)}"
    return "further than the units chosen"


@dataclass(frozen=True)
class PreemptionPick:
    """A unit for a plan slot: available (`from_ref` None) or taken from a lower-grade incident."""

    callsign: str
    from_ref: str | None


def plan_with_preemption(
    plan: tuple[Requirement, ...],
    candidates: list[Candidate],
    *,
    incident_ranks: dict[str, int],
    target_rank: int,
    stale_before_ms: int,
) -> tuple[tuple[PreemptionPick, ...], bool]:
    """Fill the plan nearest first from available units, else from units committed to a lower
    grade that are not yet on scene; returns the picks and whether the whole plan is filled."""
    ordered = sorted(candidates, key=lambda c: c.distance_m)
    picks: list[PreemptionPick] = []
    taken: set[str] = set()
    complete = True
    for requirement in plan:
        need = set(requirement.capabilities)
        suitable = [c for c in ordered if c.callsign not in taken and need <= c.capabilities]
        free = [c for c in suitable if _usable(c, stale_before_ms)]
        preemptible = [
            c for c in suitable
            if c.status in _PREEMPTIBLE and c.incident_ref is not None
            and incident_ranks.get(c.incident_ref, -1) > target_rank
            and not _stale(c, stale_before_ms)
        ]  # fmt: skip
        for candidate in (free + preemptible)[: requirement.count]:
            taken.add(candidate.callsign)
            from_ref = None if candidate in free else candidate.incident_ref
            picks.append(PreemptionPick(candidate.callsign, from_ref))
        complete = complete and len(free) + len(preemptible) >= requirement.count
    return tuple(picks), complete


# A unit already on scene stays there: pre-emption takes only units still on their way.
_PREEMPTIBLE = frozenset({UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE})
