"""`borrowed_unit_status.lua`: a lent unit's status change, the incident side, in the borrowing
area (the unit side ran first in its own area: `set_unit_status` without the incident)."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.events import UnitStatus
from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from dispatch.status import INCIDENT_STATUS_AFTER

SCRIPT = dispatch_script("borrowed_unit_status")


class BorrowedStatusAnswer(NamedTuple):
    """`ok` with the incident status it set ('' for none); `ignored` (the unit is not on loan to
    the incident) or `missing` (no such incident) with the reason, nothing changed."""

    outcome: Literal["ok", "ignored", "missing"]
    detail: str


async def borrowed_unit_status(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    callsign: str,
    status: UnitStatus,
    lending_area: str,
    now_ms: int,
    actor: str,
) -> BorrowedStatusAnswer:
    """Keep incident `ref` of `area` in step with its lent unit's new `status`, as
    set_unit_status does for a local unit (it awaits its result once no unit is committed to
    it); a final incident stays final."""
    keys = AreaKeys(area)
    outcome, detail = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.unit_incident, keys.audit, keys.awaiting_result],
        [
            ref, callsign, status.value, INCIDENT_STATUS_AFTER.get(status, ""), now_ms, actor,
            lending_area,
        ],
    )  # fmt: skip
    return BorrowedStatusAnswer(outcome, str(detail))
