"""`stand_down.lua`: a dispatcher takes a unit off its incident; the unit becomes available and
an incident left with no committed unit goes back to the pending queue."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("stand_down")

LeaveOutcome = Literal["ok", "rejected", "retry", "missing"]


class LeaveAnswer(NamedTuple):
    """`ok`: the unit's status before, the tasking withdrawn and how many units the incident it
    left still has committed; `rejected` with the unit's status and the reason; `retry` (its
    incident changed since it was read) or `missing` (`detail`: the ref that is not there)."""

    outcome: LeaveOutcome
    before: str
    detail: str
    units_left: int


def read_leave(reply: Any) -> LeaveAnswer:
    """The answer of `stand_down.lua` or `divert_unit.lua`."""
    code, before, detail, left = reply
    return LeaveAnswer(code, str(before), str(detail), int(left or 0))


async def stand_down(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    ref: str,
    now_ms: int,
    actor: str,
    reason: str,
) -> LeaveAnswer:
    """Stand the unit of `area` down from `ref` (the incident the caller read for it, in the
    same area); the reason is audited."""
    keys = AreaKeys(area)
    reply = await scripts.run(
        SCRIPT,
        [
            keys.unit_status, keys.unit_incident, keys.unit_tasking, keys.unit_since,
            keys.unit_by, keys.positions, keys.available, keys.pending, keys.audit,
            keys.incident(ref),
        ],
        [callsign, ref, now_ms, actor, reason],
    )  # fmt: skip
    return read_leave(reply)
