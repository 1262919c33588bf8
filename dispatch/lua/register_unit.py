"""`register_unit.lua`: a unit registered, or its registry record updated, without disturbing a
unit already at work."""

from __future__ import annotations

from collections.abc import Sequence

from cad.events import UnitStatus
from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("register_unit")


async def register_unit_record(
    scripts: DispatchScripts,
    *,
    area: str,
    callsign: str,
    record: str,
    base_lon: float,
    base_lat: float,
    capabilities: Sequence[str],
    dropped: Sequence[str],
    now_ms: int,
    actor: str,
) -> UnitStatus:
    """Store the unit's `record` (JSON), put it in its `capabilities` sets and out of the
    `dropped` ones; a new unit starts available at its base. Its status after the call."""
    keys = AreaKeys(area)
    status = await scripts.run(
        SCRIPT,
        [
            keys.units, keys.unit_status, keys.positions, keys.available, keys.audit,
            keys.unit_since, keys.unit_by, *(keys.capability(c) for c in [*dropped, *capabilities]),
        ],
        [callsign, record, base_lon, base_lat, now_ms, actor, len(dropped)],
    )  # fmt: skip
    return UnitStatus(status)
