"""Apply a unit's reported status change atomically, with the incident it is committed to."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from dispatch.scripts import DispatchScripts
from dispatch.status import ALLOWED_FROM, INCIDENT_STATUS_AFTER

# The unit's incident can change between our read and the script (a claim, a release): re-read.
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class StatusChange:
    """The result of one status report: applied or rejected, and why."""

    applied: bool
    previous: str | None
    incident_ref: str | None
    reason: str = ""


async def apply_status(
    redis: Redis,
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    status: UnitStatus,
    now_ms: int,
    actor: str,
) -> StatusChange:
    """Move the unit to `status` if its current status allows it; update its incident too."""
    keys = AreaKeys(area)
    allowed = sorted(ALLOWED_FROM[status])
    for _ in range(_MAX_ATTEMPTS):
        ref = await redis.hget(keys.unit_incident, callsign) or ""
        outcome, previous, detail = await scripts.set_unit_status(
            keys=[
                keys.unit_status,
                keys.unit_incident,
                keys.positions,
                keys.available,
                keys.incident(ref),
                keys.audit,
                keys.unit_since,
                keys.unit_by,
            ],
            args=[
                callsign,
                status.value,
                now_ms,
                actor,
                ref,
                INCIDENT_STATUS_AFTER.get(status, ""),
                *allowed,
            ],
        )
        if outcome == "ok":
            return StatusChange(True, previous, detail or None)
        if outcome == "rejected":
            return StatusChange(False, previous or None, ref or None, detail)
    return StatusChange(False, None, None, "the unit's assignment kept changing; try again")
