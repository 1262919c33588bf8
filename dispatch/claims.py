"""The atomic claim: every unit of an incident's response plan, nearest first, or none at all."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from cad.events import Grade
from cad.incident_types import DEFAULT_PLAN, Requirement
from cad.keys import AreaKeys
from dispatch.scripts import DispatchScripts, hash_answer

# Pending incidents are ordered by grade, then age: score = rank * 10^13 + the call time (ms).
GRADE_RANK = {Grade.IMMEDIATE: 0, Grade.SIGNIFICANT: 1, Grade.EXTENDED: 2, Grade.REFERRED: 3}
UNGRADED_RANK = 4
RANK_WEIGHT = 10**13


class ClaimOutcome(StrEnum):
    """What the claim script did."""

    CLAIMED = "claimed"
    ALREADY = "already"
    QUEUED = "queued"
    MISSING = "missing"
    REJECTED = "rejected"


class ClaimedUnit(NamedTuple):
    """One unit sent to the incident, with its tasking id and straight-line distance."""

    callsign: str
    tasking_id: str
    distance_m: float | None


@dataclass(frozen=True)
class ClaimResult:
    """The claim script's answer: the units sent (now, or already before)."""

    outcome: ClaimOutcome
    units: tuple[ClaimedUnit, ...] = ()
    reason: str = ""
    # The incident's hash as the claim left it, when the script returned it (claim_plan.lua).
    incident_fields: dict[str, str] | None = field(default=None, compare=False)

    @property
    def callsign(self) -> str | None:
        """The first unit of the plan, if any."""
        return self.units[0].callsign if self.units else None

    @property
    def distance_m(self) -> float | None:
        """The first unit's distance, if any."""
        return self.units[0].distance_m if self.units else None


def pending_score(grade: Grade | None, received_ms: int) -> int:
    """The pending-queue score that orders by grade, then age (lowest first)."""
    rank = GRADE_RANK[grade] if grade is not None else UNGRADED_RANK
    return rank * RANK_WEIGHT + received_ms


def new_tasking_id() -> str:
    """A unique id for one tasking, echoed back by the MDT's acknowledgement."""
    # 128 random bits, as a uuid4 holds (less its version nibble), at a fifth of its cost.
    return os.urandom(16).hex()


@dataclass(frozen=True)
class PlannedClaim:
    """A `claim_plan` call ready to run, alone or queued on a pipeline with other commands."""

    keys: list[str]
    args: list[str | int | float]


@dataclass(frozen=True)
class _ClaimFrame:
    """What every claim of one plan in one area sends alike: built once, not per call."""

    keys: AreaKeys
    unit_keys: tuple[str, ...]
    queue_keys: tuple[str, ...]
    shape: tuple[int, ...]
    units: int


@lru_cache(maxsize=4096)
def _claim_frame(area: str, plan: tuple[Requirement, ...]) -> _ClaimFrame:
    keys = AreaKeys(area)
    return _ClaimFrame(
        keys=keys,
        unit_keys=(
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_fix, keys.unit_since, keys.unit_by,
        ),
        queue_keys=(
            keys.pending, keys.audit, *(keys.capability(c) for r in plan for c in r.capabilities)
        ),
        shape=(len(plan), *(v for r in plan for v in (r.count, len(r.capabilities)))),
        units=sum(r.count for r in plan),
    )  # fmt: skip


@lru_cache(maxsize=64)
def _radii_arg(radii_m: tuple[int, ...]) -> str:
    return ",".join(str(r) for r in radii_m)


def plan_nearest(
    *,
    area: str,
    ref: str,
    lon: float,
    lat: float,
    grade: Grade | None,
    received_ms: int,
    radii_m: tuple[int, ...],
    now_ms: int,
    actor: str,
    plan: tuple[Requirement, ...] = DEFAULT_PLAN,
    min_fix_ms: int = 0,
) -> PlannedClaim:
    """The claim of the nearest suitable available units for the whole plan (or the queue)."""
    frame = _claim_frame(area, plan)
    return PlannedClaim(
        keys=[*frame.unit_keys, frame.keys.incident(ref), *frame.queue_keys],
        args=[
            lon, lat, _radii_arg(radii_m), ref, now_ms, actor, pending_score(grade, received_ms),
            min_fix_ms, *frame.shape, *(new_tasking_id() for _ in range(frame.units)),
        ],
    )  # fmt: skip


def claimed(answer: list[Any]) -> ClaimResult:
    """What the `claim_plan` script answered."""
    outcome, callsigns, distances, tasking_ids, fields = answer
    return ClaimResult(
        ClaimOutcome(outcome),
        _units(callsigns, distances, tasking_ids),
        incident_fields=hash_answer(fields),
    )


async def claim_nearest(scripts: DispatchScripts, claim: PlannedClaim) -> ClaimResult:
    """Run a planned claim on its own: the units for the whole plan, or the incident queued."""
    return claimed(await scripts.claim_plan(keys=claim.keys, args=claim.args))


def _units(callsigns: str, distances: str, tasking_ids: str) -> tuple[ClaimedUnit, ...]:
    if not callsigns:
        return ()
    names = callsigns.split(",")
    dists: list[float | None] = (
        [float(d) for d in distances.split(",")] if distances else [None] * len(names)
    )
    return tuple(map(ClaimedUnit._make, zip(names, tasking_ids.split(","), dists, strict=True)))


@dataclass(frozen=True)
class NamedPick:
    """A unit a dispatcher (or pre-emption) names, and the incident it is taken from, if any."""

    callsign: str
    from_ref: str | None = None


async def claim_units(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    picks: tuple[NamedPick, ...],
    now_ms: int,
    actor: str,
    reason: str,
) -> ClaimResult:
    """Claim exactly the named units for the incident, all or none; the reason is audited."""
    keys = AreaKeys(area)
    taskings = [new_tasking_id() for _ in picks]
    from_keys = [keys.incident(p.from_ref) if p.from_ref else keys.incident(ref) for p in picks]
    triples = [
        v for p, t in zip(picks, taskings, strict=True) for v in (p.callsign, t, p.from_ref or "")
    ]
    outcome, first, second, _ = await scripts.claim_units(
        keys=[
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.incident(ref), keys.pending, keys.audit,
            *from_keys,
        ],
        args=[ref, now_ms, actor, reason, len(picks), *triples],
    )  # fmt: skip
    if outcome == ClaimOutcome.REJECTED:
        return ClaimResult(ClaimOutcome.REJECTED, reason=f"{first}: {second}" if first else second)
    if outcome == ClaimOutcome.MISSING:
        return ClaimResult(ClaimOutcome.MISSING, reason=f"no incident {ref}")
    return ClaimResult(ClaimOutcome.CLAIMED, _units(first, "", second))
