"""Reconciliation at the end of a run, from Redis: lost calls and double dispatches.

Lost: a published call id that is neither a call record of its area nor in the dead-letter
stream. Linked: a call recorded as a duplicate of another call's incident (two random calls of
one type inside each other's uncertainty within minutes score 1.0): answered, with no tasking
of its own. Double dispatch, from the areas' audit streams in order: a unit assigned while still
committed to another incident, or an incident holding two units at once (every bench call type
has a one-unit plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cad.keys import AreaKeys
from dispatch.areas import dispatch_area
from loadtests.bench.calls import BenchCall
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis

# Statuses that end a unit's commitment to its incident (`unresponsive`: an unacknowledged
# tasking was escalated to another unit).
_RELEASING = {"available", "busy", "off_duty", "unresponsive"}
_PAGE = 5000


@dataclass
class Reconciliation:
    """What the end-of-run check found."""

    calls: int = 0
    recorded: int = 0
    linked: int = 0
    dead_lettered: int = 0
    lost: list[str] = field(default_factory=list)
    double_dispatches: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """For the JSON: counts, and the first few offending ids."""
        return {
            "calls": self.calls, "recorded": self.recorded, "linked": self.linked,
            "dead_lettered": self.dead_lettered,
            "lost": len(self.lost), "double_dispatches": len(self.double_dispatches),
            "examples": (self.lost + self.double_dispatches)[:5],
        }  # fmt: skip


async def reconcile(redis: AsyncRedis, calls: list[BenchCall], since_ms: int) -> Reconciliation:
    """Check every call of a run and every audit entry since the run began."""
    result = Reconciliation(calls=len(calls))
    areas = [dispatch_area(c.lon, c.lat) for c in calls]
    async with redis.pipeline(transaction=False) as pipe:
        for call, area in zip(calls, areas, strict=True):
            pipe.hmget(AreaKeys(area).call(call.call_id), ["incident_ref", "linked"])
        found = await pipe.execute()
    missing = [c.call_id for c, (ref, _) in zip(calls, found, strict=True) if ref is None]
    result.linked = sum(1 for ref, linked in found if ref is not None and linked == "linked")
    result.recorded = len(calls) - len(missing)
    if missing:
        letters = await _entries(redis, DEADLETTER_STREAM, since_ms)
        excerpts = " ".join(f.get("letter", "") for f in letters)
        for call_id in missing:
            if f'\\"{call_id}\\"' in excerpts or f'"{call_id}"' in excerpts:
                result.dead_lettered += 1
            else:
                result.lost.append(call_id)
    for area in sorted(set(areas)):
        result.double_dispatches += _doubles(await _entries(redis, AreaKeys(area).audit, since_ms))
    return result


async def _entries(redis: AsyncRedis, stream: str, since_ms: int) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    start = f"{since_ms}-0"
    while True:
        page = await redis.xrange(stream, min=start, count=_PAGE)
        out += [fields for _, fields in page]
        if len(page) < _PAGE:
            return out
        start = "(" + page[-1][0]


def _doubles(entries: list[dict[str, str]]) -> list[str]:
    """Walk one area's audit entries in order; every overlapping commitment found."""
    unit_on: dict[str, str] = {}
    units_of: dict[str, set[str]] = {}
    found: list[str] = []
    for e in entries:
        kind, callsign, ref = e.get("type"), e.get("callsign", ""), e.get("ref", "")
        if kind == "unit_assigned":
            if unit_on.get(callsign, ref) != ref:
                found.append(f"{callsign} on {unit_on[callsign]} and {ref}")
            holders = units_of.setdefault(ref, set())
            if holders - {callsign}:
                found.append(f"{ref} holds {sorted(holders)} and {callsign}")
            unit_on[callsign] = ref
            holders.add(callsign)
        elif (kind == "unit_status" and e.get("status") in _RELEASING) or kind in (
            "unit_preempted",
            "tasking_unacknowledged",
        ):
            was = unit_on.pop(callsign, None)
            if was is not None:
                units_of.get(was, set()).discard(callsign)
    return found
