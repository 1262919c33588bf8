"""A lent unit's status changes: the unit side in its own area, the incident side where it went.

`set_unit_status.lua` assumes a unit's incident lives in the unit's own area. For a unit lent to
another area (`dispatch/mutual_aid.py`) the status path runs in two steps: `lent_unit_status.lua`
for the unit side in the lending area (it writes no incident hash there), then
`borrowed_unit_status.lua` for the incident side in the borrowing area.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import log
from dispatch.scripts import DispatchScripts
from dispatch.status import ALLOWED_FROM, INCIDENT_STATUS_AFTER

logger = logging.getLogger("cad.mdt")


async def borrowing_area(redis: Redis, *, area: str, ref: str) -> str | None:
    """The area of incident `ref` when it is not `area` (the unit is on loan there), else None."""
    if not ref:
        return None
    home = await redis.hget(GlobalKeys().incident_area, ref)
    return home if home is not None and home != area else None


async def update_borrowing_incident(
    scripts: DispatchScripts,
    *,
    home_area: str,
    lending_area: str,
    ref: str,
    callsign: str,
    status: UnitStatus,
    now_ms: int,
    actor: str,
) -> tuple[str, str]:
    """The incident side of a lent unit's applied status change, in the borrowing area."""
    keys = AreaKeys(home_area)
    outcome, detail = await scripts.borrowed_unit_status(
        keys=[keys.incident(ref), keys.unit_incident, keys.audit],
        args=[
            ref, callsign, status.value, INCIDENT_STATUS_AFTER.get(status, ""), now_ms, actor,
            lending_area,
        ],
    )  # fmt: skip
    return str(outcome), str(detail)


async def apply_lent_status(
    scripts: DispatchScripts,
    *,
    area: str,
    home_area: str,
    ref: str,
    callsign: str,
    status: UnitStatus,
    now_ms: int,
    actor: str,
) -> tuple[str, str, str]:
    """Both steps of a lent unit's report; the unit side's answer, as set_unit_status gives it.
    With no `home_area` (the unit's incident exists nowhere) the unit side runs alone."""
    keys = AreaKeys(area)
    releases = INCIDENT_STATUS_AFTER.get(status) == "closed"
    outcome, previous, detail = await scripts.lent_unit_status(
        keys=[
            keys.unit_status, keys.unit_incident, keys.positions, keys.available, keys.audit,
            keys.unit_since, keys.unit_by,
        ],
        args=[
            callsign, status.value, now_ms, actor, ref, "1" if releases else "", home_area,
            *sorted(ALLOWED_FROM[status]),
        ],
    )  # fmt: skip
    if outcome == "ok" and home_area:
        side, reason = await update_borrowing_incident(
            scripts, home_area=home_area, lending_area=area, ref=ref, callsign=callsign,
            status=status, now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if side != "ok":
            log(logger, logging.WARNING, "borrowed_incident_unchanged", area=home_area,
                callsign=callsign, incident_ref=ref, outcome=side, reason=reason)  # fmt: skip
    return str(outcome), str(previous), str(detail)
