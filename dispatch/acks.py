"""Tasking acknowledgements: which taskings are overdue, and the atomic escalation of one.

No deadline is written anywhere: a unit still `assigned` is one whose MDT has not answered, and
`unit:since` says since when. So a restarted service escalates exactly what was overdue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.scripts import DispatchScripts


@dataclass(frozen=True)
class DueTasking:
    """A tasking whose acknowledgement is overdue."""

    area: str
    callsign: str
    tasking_id: str
    ref: str


@dataclass(frozen=True)
class Escalation:
    """A tasking escalated: the unit released from `ref`, and the units the incident kept."""

    area: str
    callsign: str
    tasking_id: str
    ref: str
    units_left: tuple[str, ...]
    position: int


def overdue(statuses: Mapping[str, str], since_ms: Mapping[str, int], cutoff_ms: int) -> list[str]:
    """Callsigns still `assigned` since at or before `cutoff_ms`, the longest waiting first."""
    waiting = [
        c
        for c, status in statuses.items()
        if status == UnitStatus.ASSIGNED and since_ms.get(c, 0) <= cutoff_ms
    ]
    return sorted(waiting, key=lambda c: (since_ms.get(c, 0), c))


def requirement_of(plan: tuple[Requirement, ...], position: int) -> int | None:
    """Which requirement of the plan the unit at 1-based `position` of the incident filled (the
    claim lists units in plan order); None when the position lies beyond the plan."""
    end = 0
    for index, requirement in enumerate(plan):
        end += requirement.count
        if 0 < position <= end:
            return index
    return None


async def due_taskings(redis: Redis, area: str, *, cutoff_ms: int) -> list[DueTasking]:
    """The area's taskings issued at or before `cutoff_ms` and still unacknowledged."""
    keys = AreaKeys(area)
    statuses: dict[str, str] = await redis.hgetall(keys.unit_status)
    assigned = [c for c, s in statuses.items() if s == UnitStatus.ASSIGNED]
    if not assigned:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hmget(keys.unit_since, assigned)
        pipe.hmget(keys.unit_tasking, assigned)
        pipe.hmget(keys.unit_incident, assigned)
        since, taskings, refs = await pipe.execute()
    since_ms = {c: int(s or 0) for c, s in zip(assigned, since, strict=True)}
    by_callsign = {c: (t or "", r or "") for c, t, r in zip(assigned, taskings, refs, strict=True)}
    return [
        DueTasking(area, c, *by_callsign[c])
        for c in overdue(statuses, since_ms, cutoff_ms)
        if by_callsign[c][0]
    ]


async def escalate(
    scripts: DispatchScripts, due: DueTasking, *, now_ms: int, cutoff_ms: int, actor: str
) -> Escalation | None:
    """Mark the unit unresponsive and release it from its incident, unless it answered, was
    given another tasking, or is not yet due in the meantime (then None)."""
    keys = AreaKeys(due.area)
    outcome, ref, left, position = await scripts.escalate_tasking(
        keys=[
            keys.unit_status, keys.unit_incident, keys.unit_tasking, keys.available,
            keys.incident(due.ref), keys.audit, keys.unit_since, keys.unit_by,
        ],
        args=[due.callsign, due.tasking_id, now_ms, actor, cutoff_ms, due.ref],
    )  # fmt: skip
    if outcome != "escalated":
        return None
    units_left = tuple(u for u in left.split(",") if u)
    return Escalation(due.area, due.callsign, due.tasking_id, ref, units_left, int(position))
