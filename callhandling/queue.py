"""The incident lists: the pending queue (grade, then age), open incidents, and the queue alarm."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys
from callhandling.lifecycle import is_open
from dispatch.claims import GRADE_RANK, UNGRADED_RANK


@dataclass(frozen=True)
class Alarm:
    """An incident that has waited longer than it may."""

    ref: str
    waited_s: float


async def pending_queue(redis: Redis, *, limit: int) -> list[IncidentRecord]:
    """Waiting incidents of every area, merged in queue order (grade, then age)."""
    per_area = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        entries = await redis.zrange(AreaKeys(area).pending, 0, limit - 1, withscores=True)
        per_area.append([(score, area, ref) for ref, score in entries])
    merged = list(heapq.merge(*per_area))[:limit]
    return await _read_many(redis, [(area, ref) for _, area, ref in merged])


async def open_incidents(redis: Redis, *, limit: int) -> list[IncidentRecord]:
    """Open incidents of every area, ordered by grade, then age."""
    found: list[tuple[str, str]] = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        refs = await redis.zrange(AreaKeys(area).open_incidents, 0, -1)
        found += [(area, ref) for ref in refs]
    incidents = [i for i in await _read_many(redis, found) if is_open(i.status)]
    incidents.sort(key=lambda i: (_rank(i), i.received_ms))
    return incidents[:limit]


def queue_alarms(incidents: list[IncidentRecord], *, now_ms: int, max_age_s: float) -> list[Alarm]:
    """Pending incidents that have waited longer than `max_age_s` since the call."""
    return [
        Alarm(i.ref, (now_ms - i.received_ms) / 1000)
        for i in incidents
        if i.status == "pending" and (now_ms - i.received_ms) / 1000 > max_age_s
    ]


def _rank(incident: IncidentRecord) -> int:
    return GRADE_RANK[incident.grade] if incident.grade is not None else UNGRADED_RANK


async def _read_many(redis: Redis, where: list[tuple[str, str]]) -> list[IncidentRecord]:
    if not where:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for area, ref in where:
            pipe.hgetall(AreaKeys(area).incident(ref))
        records = await pipe.execute()
    return [IncidentRecord.from_hash(r) for r in records if r]
