"""The atomic claim: the nearest available unit for an incident, or the incident queued."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from cad.events import Grade
from cad.keys import AreaKeys
from dispatch.scripts import DispatchScripts

# Pending incidents are ordered by grade, then age: score = rank * 10^13 + the incident's ms.
_GRADE_RANK = {Grade.IMMEDIATE: 0, Grade.SIGNIFICANT: 1, Grade.EXTENDED: 2, Grade.REFERRED: 3}
_UNGRADED_RANK = 4
_RANK_WEIGHT = 10**13


class ClaimOutcome(StrEnum):
    """What the claim script did."""

    CLAIMED = "claimed"
    ALREADY = "already"
    QUEUED = "queued"
    MISSING = "missing"


@dataclass(frozen=True)
class ClaimResult:
    """The claim script's answer: who was sent (or already was), and how far away."""

    outcome: ClaimOutcome
    callsign: str | None
    distance_m: float | None
    tasking_id: str


def pending_score(grade: Grade | None, created_ms: int) -> int:
    """The pending-queue score that orders by grade, then age (lowest first)."""
    rank = _GRADE_RANK[grade] if grade is not None else _UNGRADED_RANK
    return rank * _RANK_WEIGHT + created_ms


def new_tasking_id() -> str:
    """A unique id for one tasking, echoed back by the MDT's acknowledgement."""
    return uuid.uuid4().hex


async def claim_nearest(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    lon: float,
    lat: float,
    grade: Grade | None,
    created_ms: int,
    radii_m: tuple[int, ...],
    now_ms: int,
    actor: str,
) -> ClaimResult:
    """Claim the nearest available unit of the area for the incident, or queue it; atomic."""
    keys = AreaKeys(area)
    tasking_id = new_tasking_id()
    outcome, callsign, distance, claimed_tasking = await scripts.claim_nearest(
        keys=[
            keys.available,
            keys.unit_status,
            keys.unit_incident,
            keys.unit_tasking,
            keys.incident(ref),
            keys.pending,
            keys.audit,
        ],
        args=[
            lon,
            lat,
            ",".join(str(r) for r in radii_m),
            ref,
            tasking_id,
            now_ms,
            actor,
            pending_score(grade, created_ms),
        ],
    )
    return ClaimResult(
        outcome=ClaimOutcome(outcome),
        callsign=callsign or None,
        distance_m=float(distance) if distance else None,
        tasking_id=claimed_tasking or tasking_id,
    )
