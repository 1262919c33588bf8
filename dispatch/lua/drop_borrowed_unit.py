"""`drop_borrowed_unit.lua`: a lent unit's unacknowledged tasking, the incident side, in the
borrowing area (the unit side ran first in its own area: `escalate_unit`)."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("drop_borrowed_unit")


class BorrowedUnitDropped(NamedTuple):
    """`dropped`: the units the incident kept and where the unit stood among them (1-based);
    `ignored` (not on loan to it) with the reason, or `missing` (no such incident): nothing
    changed."""

    outcome: Literal["dropped", "ignored", "missing"]
    units_left: tuple[str, ...]
    position: int
    reason: str


async def drop_borrowed_unit(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    callsign: str,
    tasking_id: str,
    lending_area: str,
    now_ms: int,
    actor: str,
) -> BorrowedUnitDropped:
    """Drop the lent unit from incident `ref` of `area` (its units, taskings, loans)."""
    keys = AreaKeys(area)
    outcome, first, position = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.audit],
        [ref, callsign, tasking_id, now_ms, actor, lending_area],
    )
    if outcome != "dropped":
        return BorrowedUnitDropped(outcome, (), 0, str(first))
    return BorrowedUnitDropped(outcome, tuple(u for u in str(first).split(",") if u),
                               int(position), "")  # fmt: skip
