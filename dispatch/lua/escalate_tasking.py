"""`escalate_tasking.lua`: an unacknowledged tasking of a unit whose incident lives in its own
area; the unit becomes unresponsive and leaves the incident, in one script."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("escalate_tasking")


class TaskingEscalation(NamedTuple):
    """`escalated`: the units the incident kept and where the unit stood among them (1-based,
    plan order); `skipped` (answered, replaced, not yet due) with the reason, or `missing` (the
    incident is not in this area): nothing changed."""

    outcome: Literal["escalated", "skipped", "missing"]
    ref: str
    units_left: tuple[str, ...]
    position: int
    reason: str


async def escalate_tasking(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    tasking_id: str,
    ref: str,
    now_ms: int,
    cutoff_ms: int,
    actor: str,
) -> TaskingEscalation:
    """Escalate the unit's `tasking_id`, if it was issued at or before `cutoff_ms` and the unit
    is still `assigned` under it to `ref` (the incident the caller read for it)."""
    keys = AreaKeys(area)
    outcome, first, left, position = await scripts.run(
        SCRIPT,
        [
            keys.unit_status, keys.unit_incident, keys.unit_tasking, keys.available, keys.audit,
            keys.unit_since, keys.unit_by, keys.incident(ref),
        ],
        [callsign, tasking_id, now_ms, actor, cutoff_ms, ref],
    )  # fmt: skip
    if outcome == "skipped":
        return TaskingEscalation(outcome, ref, (), 0, str(first))
    units = tuple(u for u in str(left).split(",") if u)
    return TaskingEscalation(outcome, str(first), units, int(position or 0), "")
