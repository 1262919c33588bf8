"""Reconciliation from Redis and the audit streams: were calls lost, was any unit sent twice?"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cad.keys import AreaKeys, GlobalKeys
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis


@dataclass(frozen=True)
class Reconciliation:
    """The counts a fault or load run is judged by."""

    calls_published: int
    calls_recorded: int
    dead_letters: int
    incidents: int
    assignments: int
    double_dispatches: int
    lost_calls: tuple[str, ...]

    def summary(self) -> str:
        """One line for a report."""
        return (
            f"calls {self.calls_published}, recorded {self.calls_recorded}, dead letters "
            f"{self.dead_letters}, incidents {self.incidents}, assignments {self.assignments}, "
            f"double dispatches {self.double_dispatches}, lost calls {len(self.lost_calls)}"
        )


async def reconcile(redis: AsyncRedis, call_ids: Iterable[str]) -> Reconciliation:
    """Check every published call id is a call record or a dead letter, and replay every area's
    audit stream: a unit may be assigned again only after it cleared or was pre-empted."""
    ids = list(call_ids)
    areas = sorted(await redis.smembers(GlobalKeys().areas))
    recorded = await recorded_calls(redis, ids, areas)
    letters = await redis.xrange(DEADLETTER_STREAM)
    rejected = {_letter_call_id(fields.get("letter", "")) for _, fields in letters}
    assignments = doubles = 0
    for area in areas:
        a, d = await _replay(redis, AreaKeys(area).audit)
        assignments += a
        doubles += d
    return Reconciliation(
        calls_published=len(ids),
        calls_recorded=len(recorded),
        dead_letters=len(letters),
        incidents=await redis.hlen(GlobalKeys().incident_area),
        assignments=assignments,
        double_dispatches=doubles,
        lost_calls=tuple(sorted(set(ids) - recorded - rejected)),
    )


async def recorded_calls(
    redis: AsyncRedis, call_ids: Iterable[str], areas: Iterable[str] | None = None
) -> set[str]:
    """The call ids of `call_ids` that are a call record in one of `areas` (default: all)."""
    ids = list(call_ids)
    if areas is None:
        areas = await redis.smembers(GlobalKeys().areas)
    recorded: set[str] = set()
    for area in sorted(areas):
        async with redis.pipeline(transaction=False) as pipe:
            for call_id in ids:
                pipe.exists(AreaKeys(area).call(call_id))
            found = await pipe.execute()
        recorded |= {call_id for call_id, hit in zip(ids, found, strict=True) if hit}
    return recorded


async def _replay(redis: AsyncRedis, stream: str) -> tuple[int, int]:
    holding: dict[str, str] = {}
    assignments = doubles = 0
    last = "-"
    while True:
        batch = await redis.xrange(stream, min=last, count=10_000)
        entries = batch if last == "-" else batch[1:]
        if not entries:
            return assignments, doubles
        for _, entry in entries:
            callsign, kind = entry.get("callsign", ""), entry.get("type")
            if kind == "unit_assigned":
                assignments += 1
                doubles += callsign in holding
                holding[callsign] = entry["ref"]
            elif kind == "unit_preempted" or (
                kind == "unit_status" and entry.get("status") in ("available", "busy", "off_duty")
            ):
                holding.pop(callsign, None)
        last = batch[-1][0]


def _letter_call_id(letter: str) -> str:
    # A dead letter keeps an excerpt of the payload; the call id is in it when it was readable.
    try:
        excerpt = json.loads(letter).get("payload_excerpt", "")
    except (json.JSONDecodeError, AttributeError):
        return ""
    found = _CALL_ID.search(excerpt)
    return found.group(1) if found else ""


_CALL_ID = re.compile(r'"call_id"\s*:\s*"([^"]+)"')
