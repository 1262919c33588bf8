"""`correct_location.lua`: an incident's location corrected inside its own dispatch area."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("correct_location")


class LocationCorrection(NamedTuple):
    """`ok` with the old lon, lat and radius ('' for none); `rejected` with the status and the
    reason; `missing` (no such incident): nothing changed."""

    outcome: Literal["ok", "rejected", "missing"]
    status: str = ""
    reason: str = ""
    old_lon: str = ""
    old_lat: str = ""
    old_radius_m: str = ""


async def correct_location(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    lon: float,
    lat: float,
    radius_m: float | None,
    fence_cells: Sequence[str],
    reason: str,
    now_ms: int,
    actor: str,
) -> LocationCorrection:
    """Move incident `ref` of `area` to (`lon`, `lat`), bumping the creation fences of
    `fence_cells` (the new place's cell and those around it); audited with the old place."""
    keys = AreaKeys(area)
    outcome, first, second, third = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.open_incidents, keys.audit,
            *(keys.creation_fence(c) for c in fence_cells),
        ],
        [
            ref, repr(lon), repr(lat), "" if radius_m is None else repr(radius_m), reason,
            now_ms, actor,
        ],
    )  # fmt: skip
    if outcome == "rejected":
        return LocationCorrection(outcome, status=str(first), reason=str(second))
    return LocationCorrection(
        outcome, old_lon=str(first), old_lat=str(second), old_radius_m=str(third)
    )
