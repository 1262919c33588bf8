"""Cross-BCU dispatch: borrow units from other areas as a saga of one-slot steps.

Step 1 (`lend_units.lua`, in each lending area's slot) commits the lent units to the foreign
incident; step 2 (`attach_borrowed.lua`, in the borrowing area's slot) attaches them to the
incident. If a step 1 or the step 2 is refused, every unit already lent is given back
(`return_lent.lua`). No script ever touches two slots, so this runs unchanged on Redis Cluster.
"""

from __future__ import annotations

import logging

from cad.incident_record import IncidentRecord
from cad.incident_types import Requirement
from cad.logs import log
from dispatch.claims import ClaimedUnit, ClaimOutcome, ClaimResult, new_tasking_id
from dispatch.lenders import Loan, by_area, find_loans
from dispatch.lua.attach_borrowed import attach_borrowed
from dispatch.lua.lend_units import lend_units
from dispatch.lua.return_lent import return_lent
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.dispatch")

# A lender can lose a unit to its own claims between our search and step 1: search again, a
# bounded number of times.
_ATTEMPTS = 3


async def borrow_plan(
    redis: AsyncRedis,
    scripts: DispatchScripts,
    *,
    incident: IncidentRecord,
    plan: tuple[Requirement, ...],
    radii_m: tuple[int, ...],
    stale_before_ms: int,
    now_ms: int,
    actor: str,
) -> ClaimResult | None:
    """Fill the whole plan from the nearest other areas' available units, or change nothing."""
    for _ in range(_ATTEMPTS):
        loans = await find_loans(
            redis, home_area=incident.area, lon=incident.lon, lat=incident.lat, plan=plan,
            radii_m=radii_m, stale_before_ms=stale_before_ms,
        )  # fmt: skip
        if loans is None:
            return None
        taskings = {loan.callsign: new_tasking_id() for loan in loans}
        if not await _lend_all(scripts, incident, loans, taskings, now_ms=now_ms, actor=actor):
            continue
        attached = await attach_borrowed(
            scripts, area=incident.area, ref=incident.ref,
            loans=[(x.callsign, taskings[x.callsign], x.area) for x in loans], now_ms=now_ms,
            actor=actor,
        )  # fmt: skip
        if attached.outcome != "attached":
            await _give_back(scripts, incident.ref, loans, taskings, now_ms, actor, attached.reason)
            return None
        units = tuple(ClaimedUnit(x.callsign, taskings[x.callsign], x.distance_m) for x in loans)
        return ClaimResult(ClaimOutcome.CLAIMED, units)
    return None


def _pairs(loans: tuple[Loan, ...], taskings: dict[str, str]) -> list[tuple[str, str]]:
    return [(loan.callsign, taskings[loan.callsign]) for loan in loans]


async def _lend_all(
    scripts: DispatchScripts,
    incident: IncidentRecord,
    loans: tuple[Loan, ...],
    taskings: dict[str, str],
    *,
    now_ms: int,
    actor: str,
) -> bool:
    lent: list[Loan] = []
    for area, group in by_area(loans).items():
        lending = await lend_units(
            scripts, area=area, to_area=incident.area, ref=incident.ref,
            taskings=_pairs(group, taskings), now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if not lending.lent:
            detail = f"{lending.refused}: {lending.reason}"
            log(logger, logging.INFO, "loan_refused", incident_ref=incident.ref, area=area,
                callsign=lending.refused, reason=detail)  # fmt: skip
            await _give_back(scripts, incident.ref, tuple(lent), taskings, now_ms, actor, detail)
            return False
        lent.extend(group)
        for loan in group:
            log(logger, logging.INFO, "unit_lent", incident_ref=incident.ref,
                callsign=loan.callsign, from_area=area, to_area=incident.area)  # fmt: skip
    return True


async def _give_back(
    scripts: DispatchScripts,
    ref: str,
    loans: tuple[Loan, ...],
    taskings: dict[str, str],
    now_ms: int,
    actor: str,
    reason: str,
) -> None:
    for area, group in by_area(loans).items():
        released = await return_lent(
            scripts, area=area, ref=ref, taskings=_pairs(group, taskings), reason=reason,
            now_ms=now_ms, actor=actor,
        )  # fmt: skip
        for callsign in released:
            log(logger, logging.WARNING, "loan_returned", incident_ref=ref, callsign=callsign,
                from_area=area, reason=reason)  # fmt: skip
