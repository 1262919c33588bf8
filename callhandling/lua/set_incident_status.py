"""`set_incident_status.lua`: an incident closed, cancelled, referred or queued, if its life
cycle allows it now and no unit is still committed to it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, NamedTuple

from cad.incident_record import IncidentStatus
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("set_incident_status")


class StatusSet(NamedTuple):
    """`ok` with the previous status; `rejected` with the current status and the reason;
    `missing` (no such incident): nothing changed."""

    outcome: Literal["ok", "rejected", "missing"]
    status: str
    reason: str


async def set_incident_status(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    target: IncidentStatus,
    allowed_from: Collection[IncidentStatus],
    closing_code: str,
    category: str,
    note: str,
    pending_score: int,
    now_ms: int,
    actor: str,
) -> StatusSet:
    """Move the incident to `target` from any of `allowed_from`; the result code and note are
    kept (and audited, with the code's category); `pending_score` is its place when `target` is
    the queue. Ending it takes it out of the queue, the open set, the result queue and the
    transfer queue."""
    keys = AreaKeys(area)
    outcome, status, reason = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.unit_incident, keys.pending, keys.open_incidents, keys.audit,
            keys.awaiting_result, keys.transfer,
        ],
        [
            ref, target.value, now_ms, actor, closing_code, note, pending_score, category,
            *sorted(allowed_from),
        ],
    )  # fmt: skip
    return StatusSet(outcome, str(status), str(reason))
