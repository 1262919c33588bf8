"""The atomic claim: every unit of an incident's response plan, nearest first, or none at all.
What a claim is and answers; the scripts that make it are `dispatch/lua/claim_plan` and
`dispatch/lua/claim_units`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from cad.events import Grade
from cad.incident_types import DEFAULT_PLAN, Requirement

# Pending incidents are ordered by grade, then age: score = rank * 10^13 + the call time (ms).
# The scripts that rank incidents (claim_units.lua) read these three from dispatch/lua's prelude,
# which is written from here.
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
    """One `claim_plan` run, by name: the nearest suitable available units for every
    requirement of `plan` around (lon, lat), searching `radii_m` in turn, or the queue."""

    area: str
    ref: str
    lon: float
    lat: float
    radii_m: tuple[int, ...]
    now_ms: int
    actor: str
    pending_score: int
    # A unit whose last AVL fix is older is stale and passed over (0: none is).
    min_fix_ms: int
    plan: tuple[Requirement, ...]
    # One a unit the plan asks for, in plan order.
    tasking_ids: tuple[str, ...]


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
    return PlannedClaim(
        area=area, ref=ref, lon=lon, lat=lat, radii_m=radii_m, now_ms=now_ms, actor=actor,
        pending_score=pending_score(grade, received_ms), min_fix_ms=min_fix_ms, plan=plan,
        tasking_ids=tuple(new_tasking_id() for r in plan for _ in range(r.count)),
    )  # fmt: skip


@dataclass(frozen=True)
class NamedPick:
    """A unit a dispatcher (or pre-emption) names, and the incident it is taken from, if any."""

    callsign: str
    from_ref: str | None = None
