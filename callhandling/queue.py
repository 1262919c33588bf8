"""The incident lists: the pending queue (grade, then age), open incidents, those awaiting their
result (longest first), and the queue alarm."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from cad.errors import UnreadableRecordError
from cad.incident_record import IncidentRecord, parse_incident
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords
from callhandling.lifecycle import is_open
from dispatch.claims import GRADE_RANK, UNGRADED_RANK
from transport.redis_types import AsyncRedis


@dataclass(frozen=True)
class Alarm:
    """An incident that has waited longer than it may."""

    ref: str
    waited_s: float


async def pending_queue(
    redis: AsyncRedis, *, limit: int, unreadable: UnreadableRecords
) -> list[IncidentRecord]:
    """Waiting incidents of every area, merged in queue order (grade, then age); a record that
    does not parse is left out and reported to `unreadable`."""
    per_area = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        entries = await redis.zrange(AreaKeys(area).pending, 0, limit - 1, withscores=True)
        per_area.append([(score, area, ref) for ref, score in entries])
    merged = list(heapq.merge(*per_area))[:limit]
    return await read_many(redis, [(area, ref) for _, area, ref in merged], unreadable)


async def open_incidents(
    redis: AsyncRedis, *, limit: int, unreadable: UnreadableRecords
) -> list[IncidentRecord]:
    """Open incidents of every area, ordered by grade, then age (unreadable ones left out)."""
    found: list[tuple[str, str]] = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        refs = await redis.zrange(AreaKeys(area).open_incidents, 0, -1)
        found += [(area, ref) for ref in refs]
    incidents = [i for i in await read_many(redis, found, unreadable) if is_open(i.status)]
    incidents.sort(key=lambda i: (_rank(i), i.received_ms))
    return incidents[:limit]


async def awaiting_results(
    redis: AsyncRedis, *, limit: int, unreadable: UnreadableRecords
) -> list[IncidentRecord]:
    """Incidents of every area whose units have all cleared, waiting for a result code, the
    longest waiting first (unreadable ones left out)."""
    per_area = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        entries = await redis.zrange(AreaKeys(area).awaiting_result, 0, limit - 1, withscores=True)
        per_area.append([(score, area, ref) for ref, score in entries])
    merged = list(heapq.merge(*per_area))[:limit]
    return await read_many(redis, [(area, ref) for _, area, ref in merged], unreadable)


def queue_alarms(incidents: list[IncidentRecord], *, now_ms: int, max_age_s: float) -> list[Alarm]:
    """Pending incidents that have waited longer than `max_age_s` since the call."""
    return [
        Alarm(i.ref, (now_ms - i.received_ms) / 1000)
        for i in incidents
        if i.status == "pending" and (now_ms - i.received_ms) / 1000 > max_age_s
    ]


def _rank(incident: IncidentRecord) -> int:
    return GRADE_RANK[incident.grade] if incident.grade is not None else UNGRADED_RANK


async def read_many(
    redis: AsyncRedis, where: list[tuple[str, str]], unreadable: UnreadableRecords
) -> list[IncidentRecord]:
    """The incidents at `where` (area, ref) that exist, in that order; one that does not parse
    is left out and reported to `unreadable`."""
    if not where:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for area, ref in where:
            pipe.hgetall(AreaKeys(area).incident(ref))
        records = await pipe.execute()
    found = []
    for (area, ref), fields in zip(where, records, strict=True):
        if not fields:
            continue
        try:
            found.append(parse_incident(area, ref, fields))
        except UnreadableRecordError as exc:
            unreadable.report(exc)  # one bad record must not take the whole queue down
    return found
