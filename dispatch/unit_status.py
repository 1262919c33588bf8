"""Apply a unit's reported status change atomically, with the incident it is committed to."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.logs import log
from dispatch.lent_status import apply_lent_status, borrowing_area
from dispatch.lua.set_unit_status import StatusOutcome, UnitStatusAnswer, set_unit_status
from dispatch.scripts import DispatchScripts
from dispatch.status import ALLOWED_FROM, tasking_refusal
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.mdt")

# The unit's incident can change between our read and the script (a claim, a release): re-read.
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class StatusChange:
    """The result of one status report: applied or rejected, and why."""

    applied: bool
    previous: str | None
    incident_ref: str | None
    reason: str = ""
    # The unit was in that status already: a repeated report (a resent message, a crew pressing
    # the button twice) changes nothing and is not refused.
    unchanged: bool = False


async def apply_status(
    redis: AsyncRedis,
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    status: UnitStatus,
    now_ms: int,
    actor: str,
    tasking_id: str | None = None,
    on_behalf_of: str = "",
) -> StatusChange:
    """Move the unit to `status` if its current status allows it; update its incident too.
    A report naming a `tasking_id` is refused unless that is the unit's current tasking.
    `on_behalf_of` names the unit when a dispatcher sets its status (the crew said it on the
    radio): the same rules, audited with the dispatcher as `actor`."""
    keys = AreaKeys(area)
    for _ in range(_MAX_ATTEMPTS):
        # One snapshot of incident and tasking: the script re-checks the incident, and a unit's
        # tasking changes only together with its incident (a claim) or its status (a release).
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.unit_incident, callsign)
            pipe.hget(keys.unit_tasking, callsign)
            pipe.hget(keys.unit_status, callsign)
            ref_or_none, tasking, current = await pipe.execute()
        ref = ref_or_none or ""
        refusal = tasking_refusal(status, tasking_id, tasking if ref else None)
        if refusal:
            return StatusChange(False, current, ref or None, refusal)
        if current == status.value and ALLOWED_FROM[status]:
            return StatusChange(True, current, ref or None, unchanged=True)
        home = await borrowing_area(redis, area=area, ref=ref)
        answer: UnitStatusAnswer
        if home is not None:
            # Lent to another area (dispatch/mutual_aid.py): its incident lives in that slot.
            answer = await apply_lent_status(
                scripts, area=area, home_area=home, ref=ref, callsign=callsign, status=status,
                now_ms=now_ms, actor=actor, on_behalf_of=on_behalf_of,
            )  # fmt: skip
        else:
            answer = await set_unit_status(
                scripts, area=area, callsign=callsign, status=status, ref=ref, incident_area=area,
                now_ms=now_ms, actor=actor, on_behalf_of=on_behalf_of,
            )  # fmt: skip
        if answer.outcome is StatusOutcome.MISSING:
            # Its incident exists nowhere: the unit's own side still applies (a unit must never
            # be stuck on a job that is gone), and no incident hash is written.
            log(logger, logging.WARNING, "unit_incident_missing", area=area, callsign=callsign,
                incident_ref=ref, status=status.value)  # fmt: skip
            answer = await apply_lent_status(
                scripts, area=area, home_area="", ref=ref, callsign=callsign, status=status,
                now_ms=now_ms, actor=actor, on_behalf_of=on_behalf_of,
            )  # fmt: skip
        if answer.outcome is StatusOutcome.OK:
            return StatusChange(True, answer.before, answer.ref or None)
        if answer.outcome is StatusOutcome.REJECTED:
            return StatusChange(False, answer.before or None, ref or None, answer.reason)
    return StatusChange(False, None, None, "the unit's assignment kept changing; try again")
