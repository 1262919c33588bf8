"""`escalate_unit.lua`: an unacknowledged tasking, the unit side alone, for a unit whose incident
is not in its own area (lent, or gone); no incident hash is read or written."""

from __future__ import annotations

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("escalate_unit")


async def escalate_unit(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    tasking_id: str,
    ref: str,
    incident_area: str,
    now_ms: int,
    cutoff_ms: int,
    actor: str,
) -> bool:
    """Whether the unit became unresponsive: only if it is still `assigned` under `tasking_id`
    to `ref` and was assigned at or before `cutoff_ms`. `incident_area` is audited ('' when the
    incident exists nowhere)."""
    keys = AreaKeys(area)
    outcome, _ = await scripts.run(
        SCRIPT,
        [
            keys.unit_status, keys.unit_incident, keys.unit_tasking, keys.available, keys.audit,
            keys.unit_since, keys.unit_by,
        ],
        [callsign, tasking_id, now_ms, actor, cutoff_ms, ref, incident_area],
    )  # fmt: skip
    return bool(outcome == "escalated")
