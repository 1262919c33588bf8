"""`unit_candidates.lua` (reads only): an area's units within a radius, nearest first, each with
what a recommendation needs, in one round trip."""

from __future__ import annotations

from typing import NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("unit_candidates")


class UnitNear(NamedTuple):
    """One unit as the script found it ('' where Redis holds nothing)."""

    callsign: str
    distance_m: float
    status: str
    fix_ms: str
    record: str
    incident_ref: str


async def unit_candidates(
    scripts: DispatchScripts, *, area: str, lon: float, lat: float, radius_m: int, limit: int
) -> list[UnitNear]:
    """At most `limit` units of the area within `radius_m` of (lon, lat), nearest first."""
    keys = AreaKeys(area)
    flat = await scripts.run(
        SCRIPT,
        [keys.positions, keys.unit_status, keys.unit_fix, keys.units, keys.unit_incident],
        [lon, lat, radius_m, limit],
    )
    return read_units(flat)


def read_units(flat: list[str]) -> list[UnitNear]:
    """The units of a flat reply, six entries a unit (this script's and `available_with`'s)."""
    return [
        UnitNear(name, float(distance), status, fix, record, incident)
        for name, distance, status, fix, record, incident in zip(*[iter(flat)] * 6, strict=True)
    ]
