"""Reading what the alarm rules look at from Redis: every area's open incidents and units, and
the dead letters of the window."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from cad.errors import UnreadableRecordError
from cad.incident_record import parse_incident
from cad.keys import AreaKeys, GlobalKeys
from cad.topics import Topics
from cad.unreadable import UnreadableRecords
from service.alarms.rules import (
    AwaitingResult,
    DeadLetterCount,
    Facts,
    IncidentFacts,
    UnitFacts,
)
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis

# The dead letters of one window read at most: a flood beyond it alarms all the same.
_MAX_LETTERS = 10_000


@dataclass(frozen=True)
class FactReader:
    """Reads the facts of one scan; records that do not parse go to `unreadable` and are left
    out (an unreadable incident is no reason to stop alarming about the others)."""

    redis: AsyncRedis
    topics: Topics
    dead_letter_window_s: float

    async def read(self, *, now_ms: int, unreadable: UnreadableRecords) -> Facts:
        areas = sorted(await self.redis.smembers(GlobalKeys().areas))
        incidents: list[IncidentFacts] = []
        units: list[UnitFacts] = []
        for area in areas:
            incidents += await self._incidents(area, unreadable)
        by_ref = {(i.area, i.ref): i for i in incidents}
        for area in areas:
            units += await self._units(area, by_ref)
        letters = await self._dead_letters(now_ms)
        waiting = [w for area in areas for w in await self._awaiting_result(area)]
        return Facts(
            incidents=incidents, units=units, dead_letters=letters, awaiting_result=waiting
        )

    async def _awaiting_result(self, area: str) -> list[AwaitingResult]:
        cleared = await self.redis.zrange(AreaKeys(area).awaiting_result, 0, -1, withscores=True)
        return [AwaitingResult(ref, area, int(ms)) for ref, ms in cleared]

    async def _incidents(self, area: str, unreadable: UnreadableRecords) -> list[IncidentFacts]:
        keys = AreaKeys(area)
        refs = await self.redis.zrange(keys.open_incidents, 0, -1)
        if not refs:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for ref in refs:
                pipe.hgetall(keys.incident(ref))
            hashes: list[dict[str, str]] = await pipe.execute()
        found = []
        for ref, fields in zip(refs, hashes, strict=True):
            if not fields:
                continue
            try:
                record = parse_incident(area, ref, fields)
            except UnreadableRecordError as exc:
                unreadable.report(exc)
                continue
            touched = max(record.created_ms, int(fields.get("status_ms") or 0))
            found.append(
                IncidentFacts(
                    ref=ref,
                    area=area,
                    status=record.status,
                    grade=record.grade,
                    incident_type=record.incident_type,
                    received_ms=record.received_ms,
                    touched_ms=touched,
                    units=record.units,
                )
            )
        return found

    async def _units(
        self, area: str, incidents: dict[tuple[str, str], IncidentFacts]
    ) -> list[UnitFacts]:
        keys = AreaKeys(area)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.unit_status)
            pipe.hgetall(keys.unit_since)
            pipe.hgetall(keys.unit_incident)
            statuses, since, refs = await pipe.execute()
        found = []
        for callsign, status in statuses.items():
            ref = refs.get(callsign) or None
            # A lent unit's incident lives in the borrowing area: its limit is then the default.
            incident = incidents.get((area, ref)) if ref else None
            found.append(
                UnitFacts(
                    callsign=callsign,
                    area=area,
                    status=status,
                    since_ms=int(since.get(callsign) or 0),
                    ref=ref,
                    grade=incident.grade if incident else None,
                    incident_type=incident.incident_type if incident else None,
                )
            )
        return found

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
