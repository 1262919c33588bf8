"""`alarm_facts.lua` (reads only): what the alarm rules may act on in one area, in one call; the
open incidents that cannot have come due are left out in Redis (the rules decide the rest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from cad.errors import UnreadableRecordError
from cad.events import Grade
from cad.keys import AreaKeys
from cad.unreadable import unreadable_record
from service.alarms.lua import alarm_script
from service.alarms.rules import IncidentFacts
from transport.scripts import ScriptClient

SCRIPT = alarm_script("alarm_facts")


class UnitRow(NamedTuple):
    """A unit on scene or unresponsive, as the script found it ('' where Redis holds nothing)."""

    callsign: str
    status: str
    since_ms: str
    ref: str


@dataclass(frozen=True)
class Cutoffs:
    """Which open incidents may have come due: a `new` one last touched before `new_before_ms`,
    a `pending` one received before `pending_before_ms`; `named` are read whatever their state."""

    new_before_ms: int
    pending_before_ms: int
    named: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AreaFacts:
    """One area's units the unit rules look at, and its open incidents that may be due, or named,
    or a unit on scene's; `unreadable`: those of them that do not parse."""

    units: tuple[UnitRow, ...]
    incidents: tuple[IncidentFacts, ...]
    unreadable: tuple[UnreadableRecordError, ...]


async def alarm_facts(
    scripts: ScriptClient, *, area: str, refs: Sequence[str], cutoffs: Cutoffs
) -> AreaFacts:
    """What the alarm rules may act on in `area`, whose open incidents are `refs`."""
    keys = AreaKeys(area)
    units, incidents = await scripts.run(
        SCRIPT,
        [keys.unit_status, keys.unit_since, keys.unit_incident,
         *(keys.incident(ref) for ref in refs)],
        [cutoffs.new_before_ms, cutoffs.pending_before_ms, ",".join(sorted(cutoffs.named)),
         *refs],
    )  # fmt: skip
    found: list[IncidentFacts] = []
    unreadable: list[UnreadableRecordError] = []
    for row in zip(*[iter(incidents)] * 8, strict=True):
        try:
            found.append(_incident(area, *row))
        except ValueError as exc:
            unreadable.append(unreadable_record("incident", area, row[0], exc))
    return AreaFacts(
        tuple(UnitRow(*row) for row in zip(*[iter(units)] * 4, strict=True)),
        tuple(found),
        tuple(unreadable),
    )


def _incident(area: str, *row: Any) -> IncidentFacts:
    ref, status, grade, kind, received_ms, created_ms, status_ms, units = (str(v) for v in row)
    if not created_ms:
        raise ValueError("created_ms: Field required")
    return IncidentFacts(
        ref=ref,
        area=area,
        status=status,
        grade=Grade(grade) if grade else None,
        incident_type=kind or None,
        received_ms=int(received_ms),
        # When it was created or its status last changed.
        touched_ms=max(int(created_ms), int(status_ms or 0)),
        units=tuple(units.split(",")) if units else (),
    )
