"""Incidents from the history store, for the incident routes: the archived search, one archived
incident in the shape of a live one, and a live incident's chronology made whole again when the
archiver has trimmed its first entries from Redis."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from cad.errors import NotFoundError
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys
from callhandling.clocks import clocks
from callhandling.grade_history import grade_history, stored_thrive
from history.queries import (
    ArchivedIncident,
    IncidentFilter,
    archived_incident,
    chronology,
    search_incidents,
)
from history.rows import StreamId
from service.api.history_routes import history_of
from service.api.history_schemas import ArchivedIncidents
from service.api.schemas import IncidentDetail
from service.runtime import Runtime


async def archived_page(
    runtime: Runtime,
    *,
    status: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    area: str | None,
    incident_type: str | None,
    grade: str | None,
    result: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> ArchivedIncidents:
    """A page of the archived incidents that match, newest first."""
    where = IncidentFilter(
        status=status, created_from=created_from, created_to=created_to, area=area,
        incident_type=incident_type, grade=grade, result=result, q=q,
    )  # fmt: skip
    async with history_of(runtime) as conn:
        # The cursor's pattern was checked at the edge: it reads back as a key.
        found, next_cursor = await search_incidents(conn, where, limit=limit, cursor=cursor)
    return ArchivedIncidents(
        incidents=[IncidentRecord.from_hash(i.record) for i in found], next_cursor=next_cursor
    )


async def _archived(
    runtime: Runtime, ref: str, *, with_chronology: bool
) -> tuple[ArchivedIncident, list[dict[str, str]]]:
    """An incident Redis no longer holds, from the history store, and its chronology if asked;
    NotFoundError if it is in neither (a 503 if the history store cannot say)."""
    if runtime.history is None:
        raise NotFoundError(f"ref: no incident {ref!r}")
    async with history_of(runtime) as conn:
        found = await archived_incident(conn, ref)
        if found is None:
            raise NotFoundError(f"ref: no incident {ref!r}")
        return found, await chronology(conn, ref) if with_chronology else []


async def archived_record(runtime: Runtime, ref: str) -> IncidentRecord:
    """The record of an incident Redis no longer holds, from the history store."""
    found, _ = await _archived(runtime, ref, with_chronology=False)
    return IncidentRecord.from_hash(found.record)


async def archived_detail(runtime: Runtime, ref: str) -> IncidentDetail:
    """An incident that Redis no longer holds, from the history store, in the shape of a live
    one: its clocks, calls, chronology, THRIVE and grade history."""
    found, entries = await _archived(runtime, ref, with_chronology=True)
    incident = IncidentRecord.from_hash(found.record)
    return IncidentDetail(
        incident=incident,
        clocks=clocks(incident, now_ms=int(time.time() * 1000), best_eta_s=None),
        calls=found.calls,
        chronology=entries,
        thrive=stored_thrive(found.record.get("thrive")),
        grade_history=grade_history(entries, current=incident.grade),
    )


async def full_chronology(
    runtime: Runtime, area: str, ref: str, in_redis: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The chronology Redis gave, with the entries the archiver has trimmed from the streams
    put back from the history store (an incident open longer than CAD_ARCHIVE_KEEP_AUDIT_S)."""
    if runtime.history is None or not await _trimmed(runtime, area, ref):
        return in_redis
    async with history_of(runtime) as conn:
        archived = await chronology(conn, ref)
    # Two areas' streams may give one id to two entries: an entry is the same by all it says.
    seen = {tuple(sorted(e.items())) for e in in_redis}
    merged = [e for e in archived if tuple(sorted(e.items())) not in seen] + in_redis
    return sorted(merged, key=lambda e: StreamId.parse(e["id"]))


async def _trimmed(runtime: Runtime, area: str, ref: str) -> bool:
    """Whether any stream the incident's chronology starts in (its area's, and those of the
    areas it was in before a move) has been trimmed past where it starts."""
    began, trail = await runtime.redis.hmget(
        AreaKeys(area).incident(ref), "audit_from", "audit_trail"
    )
    starts = [tuple(t.split(":", 1)) for t in (trail or "").split(",") if ":" in t]
    starts.append((area, began or ""))
    for where, first in starts:
        if not first:
            continue
        oldest = await runtime.redis.xrange(AreaKeys(where).audit, count=1)
        if not oldest or StreamId.parse(first) < StreamId.parse(oldest[0][0]):
            return True
    return False
