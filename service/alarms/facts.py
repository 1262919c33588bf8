"""Reading what the alarm rules look at from Redis: every area's open incidents and units that
may be alarming, and the dead letters of the window."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from cad.keys import AreaKeys, GlobalKeys
from cad.topics import Topics
from cad.unreadable import UnreadableRecords
from service.alarms.lua.alarm_facts import Cutoffs, UnitRow, alarm_facts
from service.alarms.rules import (
    AwaitingResult,
    DeadLetterCount,
    Facts,
    IncidentFacts,
    Limits,
    UnitFacts,
)
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient

# The dead letters of one window read at most: a flood beyond it alarms all the same.
_MAX_LETTERS = 10_000


@dataclass(frozen=True)
class FactReader:
    """Reads the facts of one scan; records that do not parse go to `unreadable` and are left
    out (an unreadable incident is no reason to stop alarming about the others).

    Of the open incidents only those that may have come due are read whole (`alarm_facts.lua`
    leaves the others out in Redis), with those named and those a unit on scene attends; of the
    units, only those on scene or unresponsive: the rules find the same conditions, and a scan's
    cost in this process grows with what is alarming rather than with all that is open."""

    redis: AsyncRedis
    topics: Topics
    dead_letter_window_s: float
    limits: Limits

    async def read(
        self,
        *,
        now_ms: int,
        unreadable: UnreadableRecords,
        named: frozenset[tuple[str, str]] = frozenset(),
    ) -> Facts:
        """The facts as of `now_ms`; `named`: (area, ref) of incidents read whatever their state
        (those of active `tasking_exhausted` alarms, which are cleared once they are not)."""
        areas = sorted(await self.redis.smembers(GlobalKeys().areas))
        incidents: list[IncidentFacts] = []
        units: list[UnitFacts] = []
        scripts = ScriptClient(self.redis)
        for area in areas:
            cutoffs = due_cutoffs(
                now_ms, self.limits, frozenset(ref for a, ref in named if a == area)
            )
            refs = await self.redis.zrange(AreaKeys(area).open_incidents, 0, -1)
            found = await alarm_facts(scripts, area=area, refs=refs, cutoffs=cutoffs)
            for error in found.unreadable:
                unreadable.report(error)
            incidents += found.incidents
            by_ref = {i.ref: i for i in found.incidents}
            units += [_unit(area, row, by_ref) for row in found.units]
        letters = await self._dead_letters(now_ms)
        waiting = [w for area in areas for w in await self._awaiting_result(area)]
        return Facts(
            incidents=incidents, units=units, dead_letters=letters, awaiting_result=waiting
        )

    async def _awaiting_result(self, area: str) -> list[AwaitingResult]:
        cleared = await self.redis.zrange(AreaKeys(area).awaiting_result, 0, -1, withscores=True)
        return [AwaitingResult(ref, area, int(ms)) for ref, ms in cleared]

    async def _dead_letters(self, now_ms: int) -> list[DeadLetterCount]:
        since = now_ms - int(self.dead_letter_window_s * 1000)
        entries = await self.redis.xrange(DEADLETTER_STREAM, min=f"{since}-0", count=_MAX_LETTERS)
        counts: Counter[str] = Counter()
        last_reason: dict[str, str] = {}
        for _, fields in entries:
            try:
                letter = json.loads(fields.get("letter", ""))
                topic, reason = str(letter["topic"]), str(letter["reason"])
            except (ValueError, KeyError, TypeError):
                continue  # not one of ours: nothing to count it under
            if not topic.startswith(f"{self.topics.root}/"):
                continue  # another topic root's service shares this Redis
            counts[topic] += 1
            last_reason[topic] = reason
        return [
            DeadLetterCount(topic, n, last_reason[topic], self.topics.callsign_of(topic))
            for topic, n in sorted(counts.items())
        ]


def due_cutoffs(now_ms: int, limits: Limits, named: frozenset[str]) -> Cutoffs:
    """The incidents that may have come due by `now_ms`: a bound a little wide of the rules'
    own (whole milliseconds, taken a millisecond early), never narrower, so that the rules still
    decide every condition they would have found among all the open incidents."""
    queue_s = min([limits.queue_age_s, *limits.queue_age_by_grade_s.values()])
    return Cutoffs(
        new_before_ms=now_ms - int(limits.untouched_new_s * 1000) + 1,
        pending_before_ms=now_ms - int(queue_s * 1000) + 1,
        named=named,
    )


def _unit(area: str, row: UnitRow, incidents: dict[str, IncidentFacts]) -> UnitFacts:
    ref = row.ref or None
    # A lent unit's incident lives in the borrowing area: its limit is then the default.
    incident = incidents.get(ref) if ref else None
    return UnitFacts(
        callsign=row.callsign,
        area=area,
        status=row.status,
        since_ms=int(row.since_ms or 0),
        ref=ref,
        grade=incident.grade if incident else None,
        incident_type=incident.incident_type if incident else None,
    )
