"""Cross-BCU dispatch: borrow units from other areas as a saga of one-slot steps.

Step 1 (`lend_units.lua`, in each lending area's slot) commits the lent units to the foreign
incident; step 2 (`attach_borrowed.lua`, in the borrowing area's slot) attaches them to the
incident. If a step 1 or the step 2 is refused, every unit already lent is given back
(`return_lent.lua`). No script ever touches two slots, so this runs unchanged on Redis Cluster.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from cad.incident_record import IncidentRecord
from cad.incident_types import Requirement
from cad.keys import AreaKeys
from cad.logs import log
from dispatch.claims import ClaimedUnit, ClaimOutcome, ClaimResult, new_tasking_id
from dispatch.lenders import Loan, by_area, find_loans
from dispatch.scripts import DispatchScripts

logger = logging.getLogger("cad.dispatch")

# A lender can lose a unit to its own claims between our search and step 1: search again, a
# bounded number of times.
_ATTEMPTS = 3


async def borrow_plan(
    redis: Redis,
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
        outcome, detail, _ = await attach_borrowed(
            scripts, incident=incident, loans=loans, taskings=taskings, now_ms=now_ms, actor=actor
        )
        if outcome != "attached":
            await _give_back(scripts, incident.ref, loans, taskings, now_ms, actor, detail)
            return None
        units = tuple(ClaimedUnit(x.callsign, taskings[x.callsign], x.distance_m) for x in loans)
        return ClaimResult(ClaimOutcome.CLAIMED, units)
    return None


async def lend_units(
    scripts: DispatchScripts,
    *,
    area: str,
    incident: IncidentRecord,
    loans: tuple[Loan, ...],
    taskings: dict[str, str],
    now_ms: int,
    actor: str,
) -> tuple[str, str]:
    """Step 1 in the lending area: commit its units to the foreign incident, all or none."""
    keys = AreaKeys(area)
    pairs = [v for loan in loans for v in (loan.callsign, taskings[loan.callsign])]
    outcome, first, reason = await scripts.lend_units(
        keys=[
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.audit,
        ],
        args=[incident.area, incident.ref, now_ms, actor, len(loans), *pairs],
    )  # fmt: skip
    return str(outcome), f"{first}: {reason}" if reason else str(first)


async def attach_borrowed(
    scripts: DispatchScripts,
    *,
    incident: IncidentRecord,
    loans: tuple[Loan, ...],
    taskings: dict[str, str],
    now_ms: int,
    actor: str,
) -> tuple[str, str, str]:
    """Step 2 in the borrowing area: attach the lent units to the incident if it still waits;
    ('attached', callsigns, tasking ids), or ('rejected' | 'missing', reason, '')."""
    keys = AreaKeys(incident.area)
    triples = [v for x in loans for v in (x.callsign, taskings[x.callsign], x.area)]
    outcome, first, second = await scripts.attach_borrowed(
        keys=[keys.incident(incident.ref), keys.pending, keys.audit],
        args=[incident.ref, now_ms, actor, len(loans), *triples],
    )
    if outcome == "missing":
        return "missing", f"no incident {incident.ref}", ""
    return str(outcome), str(first), str(second)


async def return_lent(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    loans: tuple[Loan, ...],
    taskings: dict[str, str],
    now_ms: int,
    actor: str,
    reason: str,
) -> list[str]:
    """Compensation in the lending area: release the units still lent under these taskings."""
    keys = AreaKeys(area)
    pairs = [v for loan in loans for v in (loan.callsign, taskings[loan.callsign])]
    released = await scripts.return_lent(
        keys=[
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.positions, keys.audit,
        ],
        args=[ref, now_ms, actor, reason, len(loans), *pairs],
    )  # fmt: skip
    return [c for c in str(released).split(",") if c]


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
        outcome, detail = await lend_units(
            scripts, area=area, incident=incident, loans=group, taskings=taskings,
            now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if outcome != "lent":
            log(logger, logging.INFO, "loan_refused", incident_ref=incident.ref, area=area,
                callsign=detail.partition(":")[0], reason=detail)  # fmt: skip
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
            scripts, area=area, ref=ref, loans=group, taskings=taskings, now_ms=now_ms,
            actor=actor, reason=reason,
        )  # fmt: skip
        for callsign in released:
            log(logger, logging.WARNING, "loan_returned", incident_ref=ref, callsign=callsign,
                from_area=area, reason=reason)  # fmt: skip
