"""`divert_unit.lua`: a unit leaves its incident and is claimed for another of the same area, in
one script, under a new tasking."""

from __future__ import annotations

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.lua.stand_down import LeaveAnswer, read_leave
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("divert_unit")


async def divert_unit(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    from_ref: str,
    to_ref: str,
    tasking_id: str,
    now_ms: int,
    actor: str,
    reason: str,
) -> LeaveAnswer:
    """Move the unit of `area` from `from_ref` (the incident the caller read for it) to `to_ref`
    under `tasking_id`; both incidents are the unit's area's. The reason is audited."""
    keys = AreaKeys(area)
    reply = await scripts.run(
        SCRIPT,
        [
            keys.unit_status, keys.unit_incident, keys.unit_tasking, keys.unit_since,
            keys.unit_by, keys.available, keys.pending, keys.audit, keys.incident(from_ref),
            keys.incident(to_ref),
        ],
        [callsign, from_ref, to_ref, tasking_id, now_ms, actor, reason],
    )  # fmt: skip
    return read_leave(reply)
