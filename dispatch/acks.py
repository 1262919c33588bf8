"""Tasking acknowledgements: which taskings are overdue, and the escalation of one (one atomic
script for a unit whose incident is in its own area; a saga of one-slot scripts for a lent unit).

No deadline is written anywhere: a unit still `assigned` is one whose MDT has not answered, and
`unit:since` says since when. So a restarted service escalates exactly what was overdue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cad.errors import CadError
from cad.events import UnitStatus
from cad.incident_types import Requirement
from cad.logs import log
from dispatch.lent_status import borrowing_area
from dispatch.lua.drop_borrowed_unit import drop_borrowed_unit
from dispatch.lua.escalate_tasking import escalate_tasking
from dispatch.lua.escalate_unit import escalate_unit
from dispatch.lua.overdue_taskings import overdue_taskings
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient

logger = logging.getLogger("cad.acks")


@dataclass(frozen=True)
class DueTasking:
    """A tasking whose acknowledgement is overdue."""

    area: str
    callsign: str
    tasking_id: str
    ref: str


@dataclass(frozen=True)
class Escalation:
    """A tasking escalated: the unit released from `ref`, and the units the incident kept.
    `area` is the incident's area (the unit's own, unless the unit was lent); `released` is
    False when no incident listed the unit any more (gone, or it had dropped the unit)."""

    area: str
    callsign: str
    tasking_id: str
    ref: str
    units_left: tuple[str, ...]
    position: int
    unit_area: str
    released: bool = True


@dataclass(frozen=True)
class LentUnitReleased:
    """The unit side of a lent unit's escalation is done; the incident side is still to run."""

    due: DueTasking
    incident_area: str


class IncidentSideError(CadError):
    """A lent unit was escalated in its own area, but its incident could not drop it (the
    caller keeps `released` and runs `drop_lent_unit` again)."""

    def __init__(self, released: LentUnitReleased) -> None:
        super().__init__(f"{released.due.callsign} released, {released.due.ref} not updated")
        self.released = released


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


async def due_taskings(redis: AsyncRedis, area: str, *, cutoff_ms: int) -> list[DueTasking]:
    """The area's taskings issued at or before `cutoff_ms` and still unacknowledged, the longest
    waiting first. The fleet's statuses are scanned in Redis (`overdue_taskings.lua`): only the
    units due come back, so a round costs this process little however large the fleet."""
    found = await overdue_taskings(ScriptClient(redis), area=area, cutoff_ms=cutoff_ms)
    since_ms = {u.callsign: int(u.since_ms or 0) for u in found}
    by_callsign = {u.callsign: (u.tasking_id, u.ref) for u in found}
    assigned = dict.fromkeys(by_callsign, UnitStatus.ASSIGNED.value)
    return [
        DueTasking(area, c, *by_callsign[c])
        for c in overdue(assigned, since_ms, cutoff_ms)
        if by_callsign[c][0]
    ]


async def escalate(
    redis: AsyncRedis,
    scripts: DispatchScripts,
    due: DueTasking,
    *,
    now_ms: int,
    cutoff_ms: int,
    actor: str,
) -> Escalation | None:
    """Mark the unit unresponsive and release it from its incident, unless it answered, was
    given another tasking, or is not yet due in the meantime (then None).

    A unit lent to another area's incident is escalated as a saga, like the other cross-area
    paths: the unit side in its own area, then the incident side where the incident lives; no
    script writes an incident hash of the wrong area. Raises IncidentSideError when only the
    unit side happened."""
    home = await borrowing_area(redis, area=due.area, ref=due.ref)
    if home is None:
        escalation = await _escalate_local(scripts, due, now_ms, cutoff_ms, actor)
        if escalation != "missing":
            return escalation
        # A unit committed to an incident that exists nowhere: still released, nothing written
        # into a hash that is not there.
        log(logger, logging.WARNING, "escalation_incident_missing", area=due.area,
            callsign=due.callsign, incident_ref=due.ref)  # fmt: skip
        home = ""
    unit_side = await escalate_unit(
        scripts, area=due.area, callsign=due.callsign, tasking_id=due.tasking_id, ref=due.ref,
        incident_area=home, now_ms=now_ms, cutoff_ms=cutoff_ms, actor=actor,
    )  # fmt: skip
    if not unit_side:
        return None
    if not home:
        return _unlisted(due, area=due.area)
    released = LentUnitReleased(due, home)
    try:
        return await drop_lent_unit(scripts, released, now_ms=now_ms, actor=actor)
    except Exception as error:
        raise IncidentSideError(released) from error


async def drop_lent_unit(
    scripts: DispatchScripts, released: LentUnitReleased, *, now_ms: int, actor: str
) -> Escalation:
    """The incident side of a lent unit's escalation, in the borrowing area."""
    due, area = released.due, released.incident_area
    dropped = await drop_borrowed_unit(
        scripts, area=area, ref=due.ref, callsign=due.callsign, tasking_id=due.tasking_id,
        lending_area=due.area, now_ms=now_ms, actor=actor,
    )  # fmt: skip
    if dropped.outcome != "dropped":
        log(logger, logging.WARNING, "escalation_incident_unchanged", area=area,
            callsign=due.callsign, incident_ref=due.ref, outcome=dropped.outcome,
            reason=dropped.reason)  # fmt: skip
        return _unlisted(due, area=area)
    return _escalated(
        due, area=area, ref=due.ref, left=dropped.units_left, position=dropped.position
    )


async def _escalate_local(
    scripts: DispatchScripts, due: DueTasking, now_ms: int, cutoff_ms: int, actor: str
) -> Escalation | Literal["missing"] | None:
    answer = await escalate_tasking(
        scripts, area=due.area, callsign=due.callsign, tasking_id=due.tasking_id, ref=due.ref,
        now_ms=now_ms, cutoff_ms=cutoff_ms, actor=actor,
    )  # fmt: skip
    if answer.outcome == "missing":
        return "missing"
    if answer.outcome != "escalated":
        return None
    return _escalated(
        due, area=due.area, ref=answer.ref, left=answer.units_left, position=answer.position
    )


def _escalated(
    due: DueTasking, *, area: str, ref: str, left: tuple[str, ...], position: int
) -> Escalation:
    return Escalation(
        area=area, callsign=due.callsign, tasking_id=due.tasking_id, ref=ref, units_left=left,
        position=position, unit_area=due.area,
    )  # fmt: skip


def _unlisted(due: DueTasking, *, area: str) -> Escalation:
    """The unit is released, but no incident listed it any more: nothing to re-dispatch."""
    return Escalation(
        area=area, callsign=due.callsign, tasking_id=due.tasking_id, ref=due.ref, units_left=(),
        position=0, unit_area=due.area, released=False,
    )  # fmt: skip
