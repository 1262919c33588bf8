"""`available_with.lua` (reads only): an area's nearest available units within a radius that
hold every capability asked for, each with what a recommendation needs, in one round trip."""

from __future__ import annotations

from collections.abc import Collection

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.lua.unit_candidates import UnitNear, read_units
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("available_with")


async def available_with(
    scripts: DispatchScripts,
    *,
    area: str,
    lon: float,
    lat: float,
    radius_m: int,
    capabilities: Collection[str],
    limit: int,
    stale_before_ms: int,
    leave_out: Collection[str],
) -> list[UnitNear]:
    """At most `limit` available units of the area within `radius_m` of (lon, lat), nearest
    first, holding every one of `capabilities`, whose last fix is not older than
    `stale_before_ms` (0: any), none of `leave_out`."""
    keys = AreaKeys(area)
    flat = await scripts.run(
        SCRIPT,
        [
            keys.available, keys.unit_status, keys.unit_fix, keys.units, keys.unit_incident,
            *(keys.capability(c) for c in sorted(capabilities)),
        ],
        [lon, lat, radius_m, limit, stale_before_ms, ",".join(sorted(leave_out))],
    )  # fmt: skip
    return read_units(flat)
