"""`transfer_incident.lua`: an incident handed over to another force (final), if its life cycle
allows it now and no unit is still committed to it."""

from __future__ import annotations

from collections.abc import Collection

from cad.incident_record import IncidentStatus
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.lua.set_incident_status import StatusSet
from callhandling.scripts import CallScripts

SCRIPT = call_script("transfer_incident")


async def transfer_incident(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    force: str,
    reference: str,
    note: str,
    allowed_from: Collection[IncidentStatus],
    now_ms: int,
    actor: str,
) -> StatusSet:
    """Record the hand-over of `ref` to `force` (with its `reference`, if it gave one); the
    incident leaves the pending, open, transfer and awaiting-result sets; audited."""
    keys = AreaKeys(area)
    outcome, status, reason = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.unit_incident, keys.pending, keys.open_incidents,
            keys.transfer, keys.audit, keys.awaiting_result,
        ],
        [ref, now_ms, actor, force, reference, note, *sorted(allowed_from)],
    )  # fmt: skip
    return StatusSet(outcome, str(status), str(reason))
