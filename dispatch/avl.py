"""AVL ingest: unit positions written to Redis in pipelined batches, a few commands per area."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from redis.asyncio.client import Pipeline as AsyncPipeline
from redis.client import Pipeline

from cad.events import AvlFix
from cad.keys import AreaKeys


class PositionFix(NamedTuple):
    """One unit's fix, with the area that holds the unit and when the service received it (ms,
    its own clock); a tuple: a batch makes thousands."""

    area: str
    callsign: str
    fix: AvlFix
    received_ms: int


def fix_time_ms(fix: AvlFix, received_ms: int) -> int:
    """When a unit was last where its fix says, as its freshness (stale-unit checks) counts it:
    the fix's own time, but never later than the service received it. A client clock running
    ahead must not keep its unit fresh (a fix dated two hours ahead did, for two hours); the
    receive time alone would make a fix held up in the MDT or the network look new, and its
    unit be recommended from where it was minutes ago."""
    return min(int(fix.ts.timestamp() * 1000), received_ms)


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
            stamps[callsign] = fix_time_ms(item.fix, item.received_ms)
        pipe.geoadd(keys.positions, members)
        # XX: only a unit already in the available set moves there; a claimed one stays out.
        pipe.geoadd(keys.available, members, xx=True)
        pipe.hset(keys.unit_fix, mapping=stamps)
