"""AVL ingest: unit positions written to Redis in pipelined batches, a few commands per area."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from redis.asyncio.client import Pipeline as AsyncPipeline
from redis.client import Pipeline

from cad.events import AvlFix
from cad.keys import AreaKeys


class PositionFix(NamedTuple):
    """One unit's fix, with the area that holds the unit (a tuple: a batch makes thousands)."""

    area: str
    callsign: str
    fix: AvlFix


def queue_fixes(pipe: Pipeline | AsyncPipeline, fixes: Sequence[PositionFix]) -> None:
    """Queue a batch's writes on a pipeline (sync or asyncio): three multi-member commands per
    area, the last fix of each unit winning; an available unit moves in the dispatch set too."""
    latest: dict[str, dict[str, PositionFix]] = {}
    for item in fixes:
        latest.setdefault(item.area, {})[item.callsign] = item
    for area, units in latest.items():
        keys = AreaKeys(area)
        members: list[float | str] = []
        stamps: dict[str, int] = {}
        for callsign, item in units.items():
            members += (item.fix.lon, item.fix.lat, callsign)
            stamps[callsign] = int(item.fix.ts.timestamp() * 1000)
        pipe.geoadd(keys.positions, members)
        # XX: only a unit already in the available set moves there; a claimed one stays out.
        pipe.geoadd(keys.available, members, xx=True)
        pipe.hset(keys.unit_fix, mapping=stamps)
