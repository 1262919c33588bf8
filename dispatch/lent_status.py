"""A lent unit's status changes: the unit side in its own area, the incident side where it went.

A unit's incident normally lives in the unit's own area, and `set_unit_status.lua` moves both.
For a unit lent to another area (`dispatch/mutual_aid.py`) the status path runs in two steps:
the same script without the incident, for the unit side in the lending area (it writes no
incident hash there), then `borrowed_unit_status.lua` for the incident side in the borrowing area.
"""

from __future__ import annotations

import logging

from cad.events import UnitStatus
from cad.keys import GlobalKeys
from cad.logs import log
from dispatch.lua.borrowed_unit_status import borrowed_unit_status
from dispatch.lua.set_unit_status import StatusOutcome, UnitStatusAnswer, set_unit_status
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.mdt")


async def borrowing_area(redis: AsyncRedis, *, area: str, ref: str) -> str | None:
    """The area of incident `ref` when it is not `area` (the unit is on loan there), else None."""
    if not ref:
        return None
    home = await redis.hget(GlobalKeys().incident_area, ref)
    return home if home is not None and home != area else None


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
    on_behalf_of: str = "",
) -> UnitStatusAnswer:
    """Both steps of a lent unit's report; the unit side's answer. With no `home_area` (the
    unit's incident exists nowhere) the unit side runs alone."""
    answer = await set_unit_status(
        scripts, area=area, callsign=callsign, status=status, ref=ref, incident_area=home_area,
        now_ms=now_ms, actor=actor, on_behalf_of=on_behalf_of,
    )  # fmt: skip
    if answer.outcome is StatusOutcome.OK and home_area:
        side = await borrowed_unit_status(
            scripts, area=home_area, ref=ref, callsign=callsign, status=status,
            lending_area=area, now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if side.outcome != "ok":
            log(logger, logging.WARNING, "borrowed_incident_unchanged", area=home_area,
                callsign=callsign, incident_ref=ref, outcome=side.outcome,
                reason=side.detail)  # fmt: skip
    return answer
