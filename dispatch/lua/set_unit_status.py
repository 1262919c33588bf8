"""`set_unit_status.lua`: a unit's reported status change, with its incident when that lives in
the unit's own area; for a lent unit (or one whose incident exists nowhere) the unit side alone."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

from cad.events import UnitStatus
from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from dispatch.status import ALLOWED_FROM, INCIDENT_STATUS_AFTER

SCRIPT = dispatch_script("set_unit_status")


class StatusOutcome(StrEnum):
    """What the script did with the report."""

    OK = "ok"
    REJECTED = "rejected"
    # The unit's incident changed since the caller read it: read again and call again.
    RETRY = "retry"
    # The status would update the unit's incident, which is not in this area: nothing changed.
    MISSING = "missing"


class UnitStatusAnswer(NamedTuple):
    """The script's answer: the unit's status before (the current one, if refused), its
    incident ref (applied, or missing), and why it was refused."""

    outcome: StatusOutcome
    before: str
    ref: str
    reason: str


async def set_unit_status(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    status: UnitStatus,
    ref: str,
    incident_area: str,
    now_ms: int,
    actor: str,
    on_behalf_of: str = "",
) -> UnitStatusAnswer:
    """Move the unit of `area` to `status` if its status allows it (dispatch/status.py), given
    the incident `ref` the caller read for it ('' for none). When `incident_area` is `area` the
    incident follows the unit in the same script (and awaits its result once its last unit has
    cleared); any other (the area the unit is lent to, or
    '' for an incident that exists nowhere) runs the unit side alone, and no incident hash is
    read or written. `on_behalf_of` names the unit when a dispatcher sets its status (audited)."""
    keys = AreaKeys(area)
    here = incident_area == area
    unit_keys = [
        keys.unit_status, keys.unit_incident, keys.positions, keys.available, keys.audit,
        keys.unit_since, keys.unit_by,
    ]  # fmt: skip
    reply = await scripts.run(
        SCRIPT,
        [*unit_keys, keys.incident(ref), keys.awaiting_result] if here else unit_keys,
        [
            callsign, status.value, now_ms, actor, ref, INCIDENT_STATUS_AFTER.get(status, ""),
            "" if here else incident_area, on_behalf_of,
            *sorted(ALLOWED_FROM[status]),
        ],
    )  # fmt: skip
    return _read(reply)


def _read(reply: Any) -> UnitStatusAnswer:
    code, before, detail = reply
    outcome = StatusOutcome(code)
    if outcome is StatusOutcome.REJECTED:
        return UnitStatusAnswer(outcome, str(before), "", str(detail))
    return UnitStatusAnswer(outcome, str(before), str(detail), "")
