"""`compact_geo.lua`: an area's geo sets copied into fresh memory and renamed over themselves."""

from __future__ import annotations

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts

SCRIPT = dispatch_script("compact_geo")


async def compact_geo(scripts: DispatchScripts, *, area: str) -> int:
    """Re-pack the area's positions and available sets; how many existed to be re-packed."""
    keys = AreaKeys(area)
    sets = (keys.positions, keys.available)
    return int(await scripts.run(SCRIPT, [k for s in sets for k in (s, keys.packing(s))], []))
