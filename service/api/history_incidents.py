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
from history.queries import (
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


async def archived_detail(runtime: Runtime, ref: str) -> IncidentDetail:
    """An incident that Redis no longer holds, from the history store; NotFoundError if it is
    in neither (a 503 if the history store cannot say)."""
    if runtime.history is None:
        raise NotFoundError(f"ref: no incident {ref!r}")
    async with history_of(runtime) as conn:
        found = await archived_incident(conn, ref)
        if found is None:
            raise NotFoundError(f"ref: no incident {ref!r}")
        entries = await chronology(conn, ref)
    incident = IncidentRecord.from_hash(found.record)
    return IncidentDetail(
        incident=incident,
        clocks=clocks(incident, now_ms=int(time.time() * 1000), best_eta_s=None),
        calls=found.calls,
        chronology=entries,
    )


async def full_chronology(
    runtime: Runtime, area: str, ref: str, in_redis: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The chronology Redis gave, with the entries the archiver has trimmed from the stream
    put back from the history store (an incident open longer than CAD_ARCHIVE_KEEP_AUDIT_S)."""
    keys = AreaKeys(area)
    began = await runtime.redis.hget(keys.incident(ref), "audit_from")
    oldest = await runtime.redis.xrange(keys.audit, count=1)
    trimmed = bool(began) and (not oldest or StreamId.parse(began) < StreamId.parse(oldest[0][0]))
    if not trimmed or runtime.history is None:
        return in_redis
    async with history_of(runtime) as conn:
        archived = await chronology(conn, ref)
    seen = {e["id"] for e in in_redis}
    merged = [e for e in archived if e["id"] not in seen] + in_redis
    return sorted(merged, key=lambda e: StreamId.parse(e["id"]))
