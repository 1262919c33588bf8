"""`overdue_taskings.lua` (reads only): an area's units still `assigned` since at or before a
cutoff, with their taskings and incidents, in one round trip."""

from __future__ import annotations

from typing import NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from transport.scripts import ScriptClient

SCRIPT = dispatch_script("overdue_taskings")


class AssignedUnit(NamedTuple):
    """One unit as the script found it ('' where Redis holds nothing)."""

    callsign: str
    since_ms: str
    tasking_id: str
    ref: str


async def overdue_taskings(
    scripts: ScriptClient, *, area: str, cutoff_ms: int
) -> list[AssignedUnit]:
    """The area's units assigned since at or before `cutoff_ms`, in no particular order."""
    keys = AreaKeys(area)
    flat = await scripts.run(
        SCRIPT, [keys.unit_status, keys.unit_since, keys.unit_tasking, keys.unit_incident],
        [cutoff_ms],
    )  # fmt: skip
    return [AssignedUnit(*row) for row in zip(*[iter(flat)] * 4, strict=True)]
